package io.finchstream.gateway.openai;

import io.finchstream.gateway.ApiModel;
import io.finchstream.gateway.EventLimits;
import io.finchstream.gateway.conversation.ChatTurns;
import io.finchstream.gateway.conversation.ChoiceCalls;
import io.finchstream.gateway.conversation.GenerateParams;
import io.finchstream.gateway.conversation.MessageEvents;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.http.JsonBodies;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.ResponseFormat;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed {@code POST /v1/chat/completions} body. Every field of OpenAI's request is either
 * implemented or refused with 400 naming it, never silently ignored ({@link #IMPLEMENTED}, {@link
 * #REFUSED}, {@link #ONLY}; docs/GATEWAY.md lists them); a field OpenAI does not define is refused
 * as unknown, except the extensions {@link #EXTENSIONS}.
 */
public record ChatRequest(
    List<ChatMessage> messages,
    boolean stream,
    boolean includeUsage,
    Generate.Builder generate,
    int n,
    ChatTools tools) {

  /** OpenAI's fields that work as OpenAI documents them. */
  static final Set<String> IMPLEMENTED =
      Set.of(
          "model",
          "messages",
          "stream",
          "stream_options",
          "max_tokens",
          "max_completion_tokens",
          "temperature",
          "top_p",
          "stop",
          "seed",
          "n",
          "presence_penalty",
          "frequency_penalty",
          "logit_bias",
          "logprobs",
          "top_logprobs",
          "response_format",
          "tools",
          "tool_choice",
          "parallel_tool_calls",
          "user",
          "safety_identifier",
          "metadata");

  /**
   * OpenAI's fields accepted only with the value that asks for what Finchstream does anyway (the
   * value given), refused naming the field otherwise.
   */
  static final Map<String, String> ONLY =
      Map.of(
          "store", "false (completions are not stored for later retrieval)",
          "service_tier", "\"auto\" or \"default\" (there is one tier)",
          "modalities", "[\"text\"] (text output only)");

  /** OpenAI's fields refused whatever their value, with why. */
  static final Map<String, String> REFUSED =
      Map.ofEntries(
          Map.entry("functions", "deprecated by OpenAI: use 'tools'"),
          Map.entry("function_call", "deprecated by OpenAI: use 'tool_choice'"),
          Map.entry("audio", "audio output is not supported"),
          Map.entry("prediction", "predicted outputs are not supported"),
          Map.entry("web_search_options", "web search is not supported"),
          Map.entry("reasoning_effort", "the served model does not reason in a separate phase"),
          Map.entry("verbosity", "verbosity is not supported"),
          Map.entry(
              "prompt_cache_key",
              "prompt caching is by conversation: send the header X-Conversation-Id instead"));

  /** Finchstream's sampling extensions (the native API's names). */
  static final Set<String> EXTENSIONS =
      Set.of("top_k", "min_p", "repetition_penalty", "stop_token_ids");

  /** The longest {@code user} / {@code safety_identifier}. */
  static final int MAX_USER_CHARS = 256;

  static ChatRequest read(final JsonObject body, final ApiModel model, final EventLimits limits) {
    checkFields(body);
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
    final ChatTools tools = ChatTools.read(body, limits);
    final List<ChatMessage> messages = new ArrayList<>();
    if (tools != null) {
      messages.add(tools.system());
    }
    messages.addAll(messages(body, limits));
    final boolean forced = tools != null && tools.forced();
    final boolean stream = JsonBodies.bool(body, "stream", false);
    final JsonObject options = streamOptions(body);
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
        GenerateParams.read(sampling, model, limits, 2, forced ? List.of() : ChatTurns.TURN_STOPS)
            .setPrefixText(
                forced
                    ? ChatTurns.ASSISTANT_PREFIX + " " + ToolReply.CALL_TAG
                    : ChatTurns.ASSISTANT_PREFIX);
    if (forced) {
      final ResponseFormat.Type type = generate.getResponseFormat().getType();
      if (type != ResponseFormat.Type.TYPE_UNSPECIFIED && type != ResponseFormat.Type.TYPE_TEXT) {
        throw ApiError.invalidParameter(
                "tool_choice",
                "'tool_choice' \"required\" or a named function constrains the reply to a call;"
                    + " it cannot be combined with a JSON 'response_format'")
            .exception();
      }
      tools.constrain(generate);
    }
    final boolean logprobs = JsonBodies.bool(body, "logprobs", false);
    final Long top = JsonBodies.integer(body, "top_logprobs", 0, GenerateParams.MAX_TOP_LOGPROBS);
    if (top != null && !logprobs) {
      throw ApiError.invalidParameter("top_logprobs", "'top_logprobs' needs 'logprobs': true")
          .exception();
    }
    GenerateParams.logprobs(generate, logprobs, top == null ? 0 : top.intValue());
    return new ChatRequest(messages, stream, includeUsage, generate, choices(body), tools);
  }

  /**
   * The request field message {@code i} of {@link #messages} comes from: {@code tools} for the
   * rendered functions, else {@code messages[k].content}.
   */
  String param(final int i) {
    final int k = tools == null ? i : i - 1;
    return k < 0 ? "tools" : "messages[" + k + "].content";
  }

  /** {@code n}: 1 to {@value ChoiceCalls#MAX_CHOICES} choices (default 1). */
  static int choices(final JsonObject body) {
    final Long n = JsonBodies.integer(body, "n", 1, ChoiceCalls.MAX_CHOICES);
    return n == null ? 1 : n.intValue();
  }

  /** Refuses what is not implemented, naming the field. */
  private static void checkFields(final JsonObject body) {
    for (final String field : body.fieldNames()) {
      final Object value = body.getValue(field);
      if (IMPLEMENTED.contains(field) || EXTENSIONS.contains(field) || value == null) {
        continue;
      }
      final String refused = REFUSED.get(field);
      if (refused != null) {
        throw ApiError.invalidParameter(field, "'" + field + "' is refused: " + refused)
            .exception();
      }
      final String only = ONLY.get(field);
      if (only == null) {
        throw ApiError.invalidParameter(field, "unknown field '" + field + "'").exception();
      }
      if (!accepted(field, value)) {
        throw ApiError.invalidParameter(field, "'" + field + "' must be " + only).exception();
      }
    }
    checkMetadata(body.getValue("metadata"));
    for (final String field : List.of("user", "safety_identifier")) {
      final String id = JsonBodies.string(body, field);
      if (id != null && id.length() > MAX_USER_CHARS) {
        throw ApiError.invalidParameter(
                field, "'" + field + "' must be at most " + MAX_USER_CHARS + " characters")
            .exception();
      }
    }
  }

  /**
   * {@code metadata}: the caller's labels (OpenAI's shape: at most 16 string values, keys up to 64
   * and values up to 512 characters); they do not change the reply.
   */
  private static void checkMetadata(final Object value) {
    if (value == null) {
      return;
    }
    if (!(value instanceof JsonObject m) || m.size() > 16) {
      throw ApiError.invalidParameter(
              "metadata", "'metadata' must be an object of at most 16 string values")
          .exception();
    }
    for (final String key : m.fieldNames()) {
      if (key.length() > 64 || !(m.getValue(key) instanceof String v) || v.length() > 512) {
        throw ApiError.invalidParameter(
                "metadata",
                "'metadata' keys are at most 64 characters, values strings of at most 512")
            .exception();
      }
    }
  }

  private static boolean accepted(final String field, final Object value) {
    return switch (field) {
      case "store" -> Boolean.FALSE.equals(value);
      case "service_tier" -> "auto".equals(value) || "default".equals(value);
      case "modalities" ->
          value instanceof JsonArray a && a.size() == 1 && "text".equals(a.getValue(0));
      default -> false;
    };
  }

  private static JsonObject streamOptions(final JsonObject body) {
    final Object v = body.getValue("stream_options");
    if (v == null) {
      return new JsonObject();
    }
    if (!(v instanceof JsonObject o)) {
      throw ApiError.invalidParameter("stream_options", "'stream_options' must be an object")
          .exception();
    }
    for (final String key : o.fieldNames()) {
      if (key.equals("include_usage")
          || (key.equals("include_obfuscation") && !Boolean.TRUE.equals(o.getValue(key)))) {
        continue;
      }
      throw ApiError.invalidParameter(
              "stream_options." + key,
              "'stream_options."
                  + key
                  + "' is not supported"
                  + (key.equals("include_obfuscation") ? " (no obfuscation padding is sent)" : ""))
          .exception();
    }
    return o;
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
