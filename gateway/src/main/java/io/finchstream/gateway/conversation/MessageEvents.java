package io.finchstream.gateway.conversation;

import io.finchstream.gateway.ApiModel;
import io.finchstream.gateway.EventLimits;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.http.JsonBodies;
import io.finchstream.gateway.kafka.Events;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.Role;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Turns a native message body, {@code {"text": "...", "role": "user"}} or {@code {"tokens": [1, 2,
 * 3]}}, into an AppendText or AppendTokens event, checked against the model and the processors'
 * limits.
 */
public final class MessageEvents {

  /** Accepted fields. */
  public static final Set<String> FIELDS = Set.of("text", "tokens", "role");

  private MessageEvents() {}

  public static ConversationEvent read(
      final JsonObject body, final ApiModel model, final EventLimits limits) {
    JsonBodies.onlyFields(body, FIELDS);
    final String text = JsonBodies.string(body, "text");
    final List<Integer> tokens = JsonBodies.integers(body, "tokens", 0, model.vocabularySize() - 1);
    if ((text == null) == (tokens == null)) {
      throw ApiError.invalidParameter(
              text == null ? "text" : "tokens", "give exactly one of 'text' and 'tokens'")
          .exception();
    }
    if (tokens != null) {
      if (body.containsKey("role")) {
        throw ApiError.invalidParameter(
                "role", "'role' applies to 'text' only; tokens are appended as they are")
            .exception();
      }
      if (tokens.isEmpty()) {
        throw ApiError.invalidParameter("tokens", "'tokens' must not be empty").exception();
      }
      if (tokens.size() > limits.maxAppendTokens()) {
        throw ApiError.tooLarge(
                "tokens",
                "at most " + limits.maxAppendTokens() + " tokens per message, got " + tokens.size())
            .exception();
      }
      return Events.appendTokens(tokens);
    }
    checkText(text, "text", limits);
    return Events.appendText(role(JsonBodies.string(body, "role")), text);
  }

  /** Checks a text against the processors' size limit. */
  public static void checkText(final String text, final String param, final EventLimits limits) {
    if (text.isEmpty()) {
      throw ApiError.invalidParameter(param, "'" + param + "' must not be empty").exception();
    }
    final int bytes = text.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > limits.maxTextBytes()) {
      throw ApiError.tooLarge(
              param,
              "'"
                  + param
                  + "' is "
                  + bytes
                  + " bytes; at most "
                  + limits.maxTextBytes()
                  + " are accepted (max.text.bytes)")
          .exception();
    }
  }

  /** {@code user} (the default), {@code assistant}, {@code system} or {@code raw}. */
  public static Role role(final String name) {
    if (name == null) {
      return Role.ROLE_USER;
    }
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "user" -> Role.ROLE_USER;
      case "assistant" -> Role.ROLE_ASSISTANT;
      case "system" -> Role.ROLE_SYSTEM;
      case "raw" -> Role.ROLE_RAW;
      default ->
          throw ApiError.invalidParameter(
                  "role", "'role' must be user, assistant, system or raw, got '" + name + "'")
              .exception();
    };
  }
}
