package io.finchstream.gateway.conversation;

import io.finchstream.gateway.StoredMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A page of a conversation's stored messages as the API shows them ({@code GET
 * /v1/conversations/{id}/messages}), and as gateways pass them to each other.
 *
 * @param conversation the conversation (its metadata when the page was read)
 * @param messages the messages of the page, in order
 */
public record ApiMessages(ApiConversation conversation, List<StoredMessage> messages) {

  public JsonObject toJson() {
    final JsonArray data = new JsonArray();
    for (final StoredMessage m : messages) {
      data.add(
          new JsonObject()
              .put("index", m.index())
              .put("role", m.role())
              .put("text", m.text())
              .put("truncated", m.truncated())
              .put("tokens", m.tokens())
              .put("end", m.end())
              .put("digest", m.digestHex())
              .put("snapshot", m.snapshot())
              .put("reachable", m.reachable()));
    }
    final long next =
        messages.isEmpty()
            ? conversation.messages()
            : messages.get(messages.size() - 1).index() + 1;
    return new JsonObject()
        .put("object", "list")
        .put("conversation", conversation.toJson())
        .put("first_message", conversation.firstMessage())
        .put("data", data)
        .put("has_more", next < conversation.messages());
  }

  public static ApiMessages fromJson(final JsonObject json) {
    final List<StoredMessage> messages = new ArrayList<>();
    final JsonArray data = json.getJsonArray("data", new JsonArray());
    for (int i = 0; i < data.size(); i++) {
      final JsonObject m = data.getJsonObject(i);
      messages.add(
          new StoredMessage(
              m.getLong("index", 0L),
              m.getString("role", ""),
              m.getString("text", ""),
              m.getBoolean("truncated", false),
              m.getLong("tokens", 0L),
              m.getLong("end", 0L),
              m.getString("digest", ""),
              m.getBoolean("snapshot", false),
              m.getBoolean("reachable", false)));
    }
    return new ApiMessages(ApiConversation.fromJson(json.getJsonObject("conversation")), messages);
  }
}
