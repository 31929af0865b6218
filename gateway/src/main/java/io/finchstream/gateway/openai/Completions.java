package io.finchstream.gateway.openai;

import io.finchstream.gateway.ApiModel;
import io.finchstream.gateway.EventLimits;
import io.finchstream.gateway.GatewayServices;
import io.finchstream.gateway.conversation.Admission;
import io.finchstream.gateway.conversation.ChoiceCalls;
import io.finchstream.gateway.conversation.GenerateParams;
import io.finchstream.gateway.conversation.MessageEvents;
import io.finchstream.gateway.conversation.ReplyJson;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.http.ApiKeyAuth;
import io.finchstream.gateway.http.JsonBodies;
import io.finchstream.gateway.http.Responses;
import io.finchstream.gateway.http.SseStream;
import io.finchstream.gateway.kafka.Events;
import io.finchstream.gateway.ops.ClientApi;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.Role;
import io.finchstream.proto.v1.TokenChunk;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenAI's legacy {@code POST /v1/completions} on the same engine path as the native API: the
 * prompt (a string, or token ids) is appended as it is to a conversation of its own, the reply is
 * generated with no chat format, and the conversation is deleted after the answer. Streamed as
 * {@code text_completion} SSE events ending with {@code data: [DONE]}, or one body. Every field is
 * implemented or refused with 400 naming it ({@link #IMPLEMENTED}, {@link #ONLY}, {@link
 * #REFUSED}).
 */
public final class Completions {

  /** OpenAI's fields that work as OpenAI documents them. */
  static final Set<String> IMPLEMENTED =
      Set.of(
          "model",
          "prompt",
          "stream",
          "stream_options",
          "max_tokens",
          "temperature",
          "top_p",
          "stop",
          "seed",
          "n",
          "presence_penalty",
          "frequency_penalty",
          "logit_bias",
          "logprobs",
          "echo",
          "user");

  /** OpenAI's fields accepted only with one value. */
  static final Map<String, String> ONLY =
      Map.of("best_of", "1 (one candidate per request; ask for n choices instead)");

  /** OpenAI's fields refused whatever their value. */
  static final Map<String, String> REFUSED =
      Map.of("suffix", "insertion (a text after the completion) is not supported");

  /** Finchstream's sampling extensions. */
  static final Set<String> EXTENSIONS =
      Set.of("top_k", "min_p", "repetition_penalty", "stop_token_ids", "response_format");

  /** Default {@code max_tokens}: 16, as OpenAI's. */
  static final int DEFAULT_MAX_TOKENS = 16;

  private static final Logger LOG = LoggerFactory.getLogger(Completions.class);

  private final GatewayServices services;

  public Completions(final GatewayServices services) {
    this.services = services;
  }

  /** A parsed request. */
  record Request(
      ConversationEvent prompt,
      String echo,
      boolean stream,
      boolean includeUsage,
      Generate.Builder generate,
      int n) {}

  /** {@code POST /v1/completions}. */
  public void completions(final RoutingContext ctx) {
    final Request request =
        read(JsonBodies.object(ctx), services.ports().model(), services.ports().limits());
    final String id = "cmpl-" + Events.newId();
    new Exchange(ctx, request, ApiKeyAuth.conversationKey(ctx, id), id).start();
  }

  static Request read(final JsonObject body, final ApiModel model, final EventLimits limits) {
    for (final String field : body.fieldNames()) {
      final Object value = body.getValue(field);
      if (IMPLEMENTED.contains(field) || EXTENSIONS.contains(field) || value == null) {
        continue;
      }
      if (REFUSED.containsKey(field)) {
        throw ApiError.invalidParameter(field, "'" + field + "' is refused: " + REFUSED.get(field))
            .exception();
      }
      if (!ONLY.containsKey(field)) {
        throw ApiError.invalidParameter(field, "unknown field '" + field + "'").exception();
      }
      if (!(value instanceof Number n && n.doubleValue() == 1)) {
        throw ApiError.invalidParameter(field, "'" + field + "' must be " + ONLY.get(field))
            .exception();
      }
    }
    final String modelName = JsonBodies.string(body, "model");
    if (modelName == null || !model.answersTo(modelName)) {
      throw new ApiError(
              modelName == null ? 400 : 404,
              "invalid_request_error",
              modelName == null ? "invalid_parameter" : "model_not_found",
              "'model' must name the served model '" + model.id() + "'",
              "model")
          .exception();
    }
    final Object prompt = body.getValue("prompt");
    final ConversationEvent append;
    String echo = "";
    final String text =
        prompt instanceof String s
            ? s
            : prompt instanceof JsonArray one
                    && one.size() == 1
                    && one.getValue(0) instanceof String s
                ? s
                : null;
    if (text != null) {
      JsonBodies.wellFormed(text, "prompt");
      MessageEvents.checkText(text, "prompt", limits);
      append = Events.appendText(Role.ROLE_RAW, text);
      echo = text;
    } else if (prompt instanceof JsonArray ids
        && !ids.isEmpty()
        && ids.getValue(0) instanceof Number) {
      final List<Integer> tokens =
          JsonBodies.integers(
              new JsonObject().put("prompt", ids), "prompt", 0, model.vocabularySize() - 1);
      if (tokens.size() > limits.maxAppendTokens()) {
        throw ApiError.tooLarge(
                "prompt",
                "at most " + limits.maxAppendTokens() + " prompt tokens, got " + tokens.size())
            .exception();
      }
      append = Events.appendTokens(tokens);
      echo = null; // the text of the ids: only known from the reply (echo refused below)
    } else {
      throw ApiError.invalidParameter(
              "prompt",
              "'prompt' must be a non-empty string or an array of token ids (one prompt per"
                  + " request)")
          .exception();
    }
    final boolean echoed = JsonBodies.bool(body, "echo", false);
    final Long logprobs = JsonBodies.integer(body, "logprobs", 0, GenerateParams.MAX_TOP_LOGPROBS);
    if (echoed && (echo == null || logprobs != null)) {
      throw ApiError.invalidParameter(
              "echo",
              "'echo' works with a text prompt and without 'logprobs' (prompt tokens have no"
                  + " log probabilities here)")
          .exception();
    }
    final JsonObject sampling = new JsonObject();
    for (final String field : GenerateParams.FIELDS) {
      if (body.getValue(field) != null) {
        sampling.put(field, body.getValue(field));
      }
    }
    if (!sampling.containsKey("max_tokens")) {
      sampling.put("max_tokens", Math.min(DEFAULT_MAX_TOKENS, limits.maxGenerateTokens()));
    }
    final Generate.Builder generate = GenerateParams.read(sampling, model, limits, 2, List.of());
    if (logprobs != null) {
      GenerateParams.logprobs(generate, true, logprobs.intValue());
    }
    final boolean stream = JsonBodies.bool(body, "stream", false);
    final JsonObject options =
        body.getValue("stream_options") instanceof JsonObject o ? o : new JsonObject();
    for (final String key : options.fieldNames()) {
      if (!key.equals("include_usage")) {
        throw ApiError.invalidParameter(
                "stream_options." + key, "'stream_options." + key + "' is not supported")
            .exception();
      }
    }
    return new Request(
        append,
        echoed ? echo : "",
        stream,
        JsonBodies.bool(options, "include_usage", false),
        generate,
        ChatRequest.choices(body));
  }

  /** One completion in flight, in a conversation of its own: its {@code n} choices. */
  private final class Exchange implements ChoiceCalls.Listener {
    private final RoutingContext ctx;
    private final Request request;
    private final String key;
    private final String id;
    private final long created = System.currentTimeMillis() / 1000;

    /** Per choice, with {@code logprobs}: its entries (one body); null otherwise. */
    private final JsonArray[] logprobs;

    private final GenerationDone[] done;
    private SseStream sse;
    private ChoiceCalls calls;
    private boolean cleaned;

    Exchange(final RoutingContext ctx, final Request request, final String key, final String id) {
      this.ctx = ctx;
      this.request = request;
      this.key = key;
      this.id = id;
      this.logprobs = new JsonArray[request.n()];
      if (request.generate().getLogprobs()) {
        Arrays.setAll(logprobs, i -> new JsonArray());
      }
      this.done = new GenerationDone[request.n()];
    }

    void start() {
      if (request.stream()) {
        sse =
            new SseStream(
                services.vertx(),
                ctx.response(),
                services.heartbeatMs(),
                services.streamBufferBytes(),
                () -> {
                  calls.cancel();
                  ctx.response().reset();
                });
      }
      calls =
          ChoiceCalls.start(
              services,
              key,
              List.of(Admission.item(request.prompt(), "prompt")),
              request.generate(),
              request.n(),
              ClientApi.OPENAI_COMPLETIONS,
              this);
      ctx.response()
          .closeHandler(
              v -> {
                if (sse != null) {
                  sse.abandon();
                }
                calls.cancel();
                cleanUp();
              });
    }

    @Override
    public void onAccepted() {
      if (sse != null) {
        sse.open();
        if (!request.echo().isEmpty()) {
          for (int i = 0; i < done.length; i++) {
            sse.data(chunk(i, request.echo(), null, null).encode());
          }
        }
      }
    }

    @Override
    public void onChunk(final int choice, final TokenChunk chunk) {
      final JsonArray entries = logprobs[choice] == null ? null : ReplyJson.logprobs(chunk, false);
      if (sse != null) {
        sse.data(chunk(choice, chunk.getText(), entries, null).encode());
        return;
      }
      if (entries != null) {
        logprobs[choice].addAll(entries);
      }
    }

    @Override
    public void onDone(final int choice, final GenerationDone end) {
      done[choice] = end;
      if (sse != null) {
        sse.data(chunk(choice, "", null, finishReason(end.getFinishReason())).encode());
      }
    }

    @Override
    public void onAllDone() {
      long completion = 0;
      for (final GenerationDone d : done) {
        completion += d.getUsage().getCompletionTokens();
      }
      final long prompt =
          Math.max(
              0,
              done[0].getUsage().getConversationTokens()
                  - done[0].getUsage().getCompletionTokens());
      final JsonObject usage =
          new JsonObject()
              .put("prompt_tokens", prompt)
              .put("completion_tokens", completion)
              .put("total_tokens", prompt + completion);
      if (sse == null) {
        final JsonArray choices = new JsonArray();
        for (int i = 0; i < done.length; i++) {
          choices.add(
              choice(
                  i,
                  request.echo() + done[i].getText(),
                  logprobs[i],
                  finishReason(done[i].getFinishReason())));
        }
        Responses.json(ctx, 200, base().put("choices", choices).put("usage", usage));
      } else {
        if (request.includeUsage()) {
          sse.data(base().put("choices", new JsonArray()).put("usage", usage).encode());
        }
        sse.data("[DONE]");
        sse.end();
      }
      cleanUp();
    }

    @Override
    public void onError(final ApiError error) {
      SseStream.fail(sse, ctx, error, s -> s.data(error.toJson().encode()));
      cleanUp();
    }

    private JsonObject base() {
      return new JsonObject()
          .put("id", id)
          .put("object", "text_completion")
          .put("created", created)
          .put("model", services.ports().model().id());
    }

    private JsonObject chunk(
        final int i, final String delta, final JsonArray entries, final String finish) {
      return base().put("choices", new JsonArray().add(choice(i, delta, entries, finish)));
    }

    /** A choice; {@code entries} (chat-style logprob entries) in the legacy layout, or null. */
    private static JsonObject choice(
        final int i, final String text, final JsonArray entries, final String finish) {
      return new JsonObject()
          .put("text", text)
          .put("index", i)
          .put("logprobs", entries == null ? null : legacy(entries))
          .put("finish_reason", finish);
    }

    /**
     * The legacy {@code logprobs}: {@code tokens}, {@code token_logprobs}, {@code top_logprobs}
     * (token → logprob per position) and {@code text_offset} (chars into the completion).
     */
    private static JsonObject legacy(final JsonArray entries) {
      final JsonArray tokens = new JsonArray();
      final JsonArray values = new JsonArray();
      final JsonArray tops = new JsonArray();
      final JsonArray offsets = new JsonArray();
      int offset = 0;
      for (int i = 0; i < entries.size(); i++) {
        final JsonObject e = entries.getJsonObject(i);
        tokens.add(e.getString("token"));
        values.add(e.getDouble("logprob"));
        final JsonObject top = new JsonObject();
        for (final Object t : e.getJsonArray("top_logprobs")) {
          final JsonObject tj = (JsonObject) t;
          top.put(tj.getString("token"), tj.getDouble("logprob"));
        }
        tops.add(top);
        offsets.add(offset);
        offset += e.getString("token").length();
      }
      return new JsonObject()
          .put("tokens", tokens)
          .put("token_logprobs", values)
          .put("top_logprobs", tops)
          .put("text_offset", offsets);
    }

    private void cleanUp() {
      if (calls != null && calls.wrote() && !cleaned) {
        cleaned = true;
        services
            .publisher()
            .publish(Vertx.currentContext(), key, Events.delete())
            .onFailure(
                e ->
                    LOG.warn(
                        "could not delete the one-request conversation {}: {}",
                        key,
                        e.getMessage()));
      }
    }
  }

  private static String finishReason(final FinishReason reason) {
    return reason == FinishReason.FINISH_REASON_LENGTH ? "length" : "stop";
  }
}
