package io.finchstream.gateway.openai;

import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.http.JsonBodies;
import io.finchstream.proto.v1.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * One message of an OpenAI chat request: a role (system and developer are both SYSTEM) and its
 * text. Content may be a string or an array of {@code {"type":"text","text":...}} parts; other
 * parts (images, audio), tool calls and tool messages are refused with a 400 that says so.
 */
public record ChatMessage(Role role, String text) {

  static ChatMessage read(final Object value, final int index) {
    final String param = "messages[" + index + "]";
    if (!(value instanceof JsonObject m)) {
      throw ApiError.invalidParameter(
              param, "'" + param + "' must be an object with 'role' and 'content'")
          .exception();
    }
    final Object roleValue = m.getValue("role");
    if (!(roleValue instanceof String roleName)) {
      throw ApiError.invalidParameter(param + ".role", "'" + param + ".role' must be a string")
          .exception();
    }
    final Role role =
        switch (roleName.toLowerCase(Locale.ROOT)) {
          case "system", "developer" -> Role.ROLE_SYSTEM;
          case "user" -> Role.ROLE_USER;
          case "assistant" -> Role.ROLE_ASSISTANT;
          default ->
              throw ApiError.invalidParameter(
                      param + ".role",
                      "role '"
                          + roleName
                          + "' is not supported; use system, developer, user or assistant (no tools)")
                  .exception();
        };
    final Object toolCalls = m.getValue("tool_calls");
    if (toolCalls instanceof JsonArray calls && !calls.isEmpty()) {
      throw ApiError.invalidParameter(param + ".tool_calls", "tool calls are not supported")
          .exception();
    }
    return new ChatMessage(role, content(m.getValue("content"), param + ".content"));
  }

  private static String content(final Object content, final String param) {
    if (content instanceof String s) {
      return JsonBodies.wellFormed(s, param);
    }
    if (content instanceof JsonArray parts) {
      final StringBuilder text = new StringBuilder();
      for (int i = 0; i < parts.size(); i++) {
        final Object part = parts.getValue(i);
        if (!(part instanceof JsonObject p)
            || !"text".equals(p.getValue("type"))
            || !(p.getValue("text") instanceof String t)) {
          throw ApiError.invalidParameter(
                  param + "[" + i + "]",
                  "only text content parts ({\"type\":\"text\",\"text\":...}) are supported")
              .exception();
        }
        text.append(t);
      }
      return JsonBodies.wellFormed(text.toString(), param);
    }
    throw ApiError.invalidParameter(
            param, "'" + param + "' must be a string or an array of text parts")
        .exception();
  }
}
