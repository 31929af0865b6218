package io.finchstream.gateway.openai;

import io.finchstream.gateway.ApiModel;
import io.finchstream.gateway.EventLimits;
import io.finchstream.gateway.conversation.ChatTurns;
import io.finchstream.gateway.conversation.GenerateParams;
import io.finchstream.gateway.conversation.MessageEvents;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.http.JsonBodies;
import io.finchstream.proto.v1.Generate;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A parsed {@code POST /v1/chat/completions} body. Understood: {@code model, messages, stream,
 * stream_options.include_usage, max_tokens / max_completion_tokens, temperature (0..2), top_p,
 * stop, seed, presence_penalty, frequency_penalty}, plus the extensions {@code top_k, min_p,
 * repetition_penalty}. {@code n} must be 1; tools and non-text content are refused; other OpenAI
 * fields (user, metadata, ...) are ignored.
 */
public record ChatRequest(
    List<ChatMessage> messages, boolean stream, boolean includeUsage, Generate.Builder generate) {

  static ChatRequest read(final JsonObject body, final ApiModel model, final EventLimits limits) {
    final String modelName = JsonBodies.string(body, "model");
    if (modelName == null) {
      throw ApiError.invalidParameter(
              "model", "'model' is required; GET /v1/models lists the served model")
          .exception();
    }
    if (!model.answersTo(modelName)) {
      throw new ApiError(
              404,
              "invalid_request_error",
              "model_not_found",
              "the model '"
                  + modelName
                  + "' does not exist; this service serves '"
                  + model.id()
                  + "'",
              "model")
          .exception();
    }
    final Long n = JsonBodies.integer(body, "n", 1, Integer.MAX_VALUE);
    if (n != null && n != 1) {
      throw ApiError.invalidParameter("n", "only n = 1 is supported").exception();
    }
    if (body.getValue("tools") instanceof JsonArray tools && !tools.isEmpty()) {
      throw ApiError.invalidParameter("tools", "tools are not supported").exception();
    }
    if (JsonBodies.bool(body, "logprobs", false)) {
      throw ApiError.invalidParameter("logprobs", "logprobs are not supported").exception();
    }
    final List<ChatMessage> messages = messages(body, limits);
    final boolean stream = JsonBodies.bool(body, "stream", false);
    final JsonObject options =
        body.getValue("stream_options") instanceof JsonObject o ? o : new JsonObject();
    final boolean includeUsage = JsonBodies.bool(options, "include_usage", false);
    final JsonObject sampling = new JsonObject();
    for (final String field : GenerateParams.FIELDS) {
      if (body.getValue(field) != null) {
        sampling.put(field, body.getValue(field));
      }
    }
    if (body.getValue("max_completion_tokens") != null) {
      sampling.put("max_tokens", body.getValue("max_completion_tokens"));
    }
    final Generate.Builder generate =
        GenerateParams.read(sampling, model, limits, 2, ChatTurns.TURN_STOPS)
            .setPrefixText(ChatTurns.ASSISTANT_PREFIX);
    return new ChatRequest(messages, stream, includeUsage, generate);
  }

  private static List<ChatMessage> messages(final JsonObject body, final EventLimits limits) {
    if (!(body.getValue("messages") instanceof JsonArray array) || array.isEmpty()) {
      throw ApiError.invalidParameter("messages", "'messages' must be a non-empty array")
          .exception();
    }
    final List<ChatMessage> messages = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      final ChatMessage m = ChatMessage.read(array.getValue(i), i);
      MessageEvents.checkText(
          m.text().isEmpty() ? " " : m.text(), "messages[" + i + "].content", limits);
      messages.add(m);
    }
    return messages;
  }
}
