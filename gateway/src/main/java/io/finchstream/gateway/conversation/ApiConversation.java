package io.finchstream.gateway.conversation;

import io.finchstream.proto.TenantKeys;
import io.finchstream.proto.v1.ConversationMeta;
import io.vertx.core.json.JsonObject;
import java.util.HexFormat;

/**
 * A conversation's metadata as the API shows it ({@code GET /v1/conversations/{id}}), and as
 * gateways pass it to each other when the conversation is owned by another instance. Built from the
 * stored {@code ConversationMeta}. Ids are as the conversation's tenant names them ({@link
 * TenantKeys#id}): the tenant never shows.
 *
 * @param id the conversation's id within its tenant
 * @param forkedFrom the id (within the same tenant) of the conversation it was forked from, or ""
 * @param messageDigest hex of {@code ConversationMeta.message_digest} ("" for the empty history)
 * @param firstMessage the oldest message the conversation keeps a record of (older ones end before
 *     its oldest snapshot: it cannot be rewound or forked to right after them)
 * @param lastRequestId request id of the latest Generate accepted (the running one while {@code
 *     generating})
 * @param lastPartition partition of the last event applied (-1 if none)
 * @param lastOffset offset of the last event applied (-1 if none)
 */
public record ApiConversation(
    String id,
    String model,
    long tokens,
    long messages,
    String messageDigest,
    long firstMessage,
    String lastRequestId,
    String forkedFrom,
    long createdAtMs,
    long updatedAtMs,
    long eventsApplied,
    long generationsFinished,
    boolean generating,
    int lastPartition,
    long lastOffset) {

  /** The conversation of Kafka key {@code key}, as its tenant sees it. */
  public static ApiConversation of(
      final String key, final ConversationMeta meta, final boolean generating) {
    final boolean hasLast = !meta.getLastTopic().isEmpty();
    return new ApiConversation(
        TenantKeys.id(key),
        meta.getModelId(),
        meta.getTokens(),
        meta.getMessages(),
        HexFormat.of().formatHex(meta.getMessageDigest().toByteArray()),
        meta.getFirstMessage(),
        meta.getLastRequestId(),
        TenantKeys.id(meta.getForkedFrom()),
        meta.getCreatedAtMs(),
        meta.getUpdatedAtMs(),
        meta.getEventsApplied(),
        meta.getGenerationsFinished(),
        generating,
        hasLast ? meta.getLastPartition() : -1,
        hasLast ? meta.getLastOffset() : -1);
  }

  /**
   * Whether the conversation can be rewound or forked right after its first {@code n} messages: the
   * start, the end, or a message the conversation still keeps a record of (the owner makes the
   * final check).
   */
  public boolean reachable(final long n) {
    return n == 0 || n == messages || (n <= messages && n - 1 >= firstMessage);
  }

  /** Whether the event at {@code partition}:{@code offset} of the events topic has been applied. */
  public boolean applied(final int partition, final long offset) {
    return lastPartition == partition && lastOffset >= offset;
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id)
        .put("object", "conversation")
        .put("model", model)
        .put("tokens", tokens)
        .put("messages", messages)
        .put("message_digest", messageDigest)
        .put("first_message", firstMessage)
        .put("last_request_id", lastRequestId)
        .put("forked_from", forkedFrom.isEmpty() ? null : forkedFrom)
        .put("created_at_ms", createdAtMs)
        .put("updated_at_ms", updatedAtMs)
        .put("events_applied", eventsApplied)
        .put("generations_finished", generationsFinished)
        .put("generating", generating)
        .put(
            "last_event",
            lastPartition < 0
                ? null
                : new JsonObject().put("partition", lastPartition).put("offset", lastOffset));
  }

  public static ApiConversation fromJson(final JsonObject json) {
    final JsonObject last = json.getJsonObject("last_event");
    final String forked = json.getString("forked_from");
    return new ApiConversation(
        json.getString("id"),
        json.getString("model", ""),
        json.getLong("tokens", 0L),
        json.getLong("messages", 0L),
        json.getString("message_digest", ""),
        json.getLong("first_message", 0L),
        json.getString("last_request_id", ""),
        forked == null ? "" : forked,
        json.getLong("created_at_ms", 0L),
        json.getLong("updated_at_ms", 0L),
        json.getLong("events_applied", 0L),
        json.getLong("generations_finished", 0L),
        json.getBoolean("generating", false),
        last == null ? -1 : last.getInteger("partition"),
        last == null ? -1 : last.getLong("offset"));
  }
}
