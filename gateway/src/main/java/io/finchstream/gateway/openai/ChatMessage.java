package io.finchstream.gateway.openai;

import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.http.JsonBodies;
import io.finchstream.proto.v1.Role;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * One message of an OpenAI chat request: a role (system and developer are both SYSTEM) and its
 * text. Content may be a string or an array of {@code {"type":"text","text":...}} parts; other
 * parts (images, audio) are refused with a 400 that says so. An assistant message's {@code
 * tool_calls} and a {@code tool} message are rendered as {@link ChatTools} documents.
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
          case "tool" -> Role.ROLE_RAW;
          default ->
              throw ApiError.invalidParameter(
                      param + ".role",
                      "role '"
                          + roleName
                          + "' is not supported; use system, developer, user, assistant or tool")
                  .exception();
        };
    if (role == Role.ROLE_RAW) {
      if (m.getValue("tool_call_id") != null && !(m.getValue("tool_call_id") instanceof String)) {
        throw ApiError.invalidParameter(
                param + ".tool_call_id", "'" + param + ".tool_call_id' must be a string")
            .exception();
      }
      return new ChatMessage(
          role, "Tool: " + content(m.getValue("content"), param + ".content") + "\n\n");
    }
    final Object toolCalls = m.getValue("tool_calls");
    if (toolCalls instanceof JsonArray calls && !calls.isEmpty() && role == Role.ROLE_ASSISTANT) {
      final StringBuilder text = new StringBuilder();
      if (m.getValue("content") != null) {
        text.append(content(m.getValue("content"), param + ".content"));
      }
      for (int i = 0; i < calls.size(); i++) {
        text.append(text.isEmpty() ? "" : "\n").append(call(calls.getValue(i), param, i));
      }
      return new ChatMessage(role, text.toString());
    }
    if (toolCalls != null && !(toolCalls instanceof JsonArray a && a.isEmpty())) {
      throw ApiError.invalidParameter(
              param + ".tool_calls", "'tool_calls' are an assistant message's array of calls")
          .exception();
    }
    return new ChatMessage(role, content(m.getValue("content"), param + ".content"));
  }

  /** A call of the history as the prompt shows it: the tag, then name and arguments as JSON. */
  private static String call(final Object value, final String message, final int index) {
    final String param = message + ".tool_calls[" + index + "]";
    if (!(value instanceof JsonObject c)
        || !(c.getValue("function") instanceof JsonObject f)
        || !(f.getValue("name") instanceof String name)
        || !(f.getValue("arguments") instanceof String arguments)) {
      throw ApiError.invalidParameter(
              param,
              "'"
                  + param
                  + "' must be {\"id\", \"type\": \"function\", \"function\": {\"name\","
                  + " \"arguments\"}}")
          .exception();
    }
    JsonBodies.wellFormed(arguments, param + ".function.arguments");
    return ToolReply.CALL_TAG
        + "{\"name\": "
        + Json.encode(name)
        + ", \"arguments\": "
        + arguments.strip()
        + "}";
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
