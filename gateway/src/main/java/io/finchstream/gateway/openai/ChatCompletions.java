package io.finchstream.gateway.openai;

import io.finchstream.gateway.GatewayServices;
import io.finchstream.gateway.conversation.ApiConversation;
import io.finchstream.gateway.conversation.ChatTurns;
import io.finchstream.gateway.conversation.ConversationIds;
import io.finchstream.gateway.conversation.GenerationCall;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.http.ApiException;
import io.finchstream.gateway.http.JsonBodies;
import io.finchstream.gateway.http.Responses;
import io.finchstream.gateway.http.SseStream;
import io.finchstream.gateway.kafka.Events;
import io.finchstream.gateway.kafka.Written;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.TokenChunk;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI-compatible API: {@code POST /v1/chat/completions} (streamed as {@code
 * chat.completion.chunk} SSE events ending with {@code data: [DONE]}, or one {@code
 * chat.completion}), and {@code GET /v1/models}.
 *
 * <p>Conversation reuse: with the header {@code X-Conversation-Id}, the chat is kept in that
 * conversation, and each request appends only the messages the conversation does not hold yet
 * ({@link HistoryMatch}), so a long chat costs O(new tokens) per turn instead of re-reading the
 * whole history. Without the header every request is a fresh conversation, deleted after the
 * answer. One request at a time per conversation (per gateway); a second gets 409.
 */
public final class ChatCompletions {

  /** Request header naming the conversation to continue. */
  public static final String CONVERSATION_HEADER = "X-Conversation-Id";

  private static final Logger LOG = LoggerFactory.getLogger(ChatCompletions.class);

  private final GatewayServices services;

  public ChatCompletions(final GatewayServices services) {
    this.services = services;
  }

  /** {@code GET /v1/models}. */
  public void models(final RoutingContext ctx) {
    Responses.json(
        ctx, 200, new JsonObject().put("object", "list").put("data", new JsonArray().add(model())));
  }

  /** {@code GET /v1/models/{model}}. */
  public void model(final RoutingContext ctx) {
    if (!services.ports().model().answersTo(ctx.pathParam("model"))) {
      throw new ApiError(
              404,
              "invalid_request_error",
              "model_not_found",
              "the model '" + ctx.pathParam("model") + "' does not exist",
              "model")
          .exception();
    }
    Responses.json(ctx, 200, model());
  }

  private JsonObject model() {
    final JsonObject model =
        new JsonObject()
            .put("id", services.ports().model().id())
            .put("object", "model")
            .put("created", services.ports().model().createdEpochSeconds())
            .put("owned_by", "finchstream")
            .put("fingerprint", services.ports().model().fingerprint());
    if (!services.ports().model().description().isEmpty()) {
      model.put("description", services.ports().model().description());
    }
    return model;
  }

  /** {@code POST /v1/chat/completions}. */
  public void chatCompletions(final RoutingContext ctx) {
    final ChatRequest request =
        ChatRequest.read(
            JsonBodies.object(ctx), services.ports().model(), services.ports().limits());
    final String header = ctx.request().getHeader(CONVERSATION_HEADER);
    final boolean kept = header != null;
    final String id =
        kept ? ConversationIds.require(header, CONVERSATION_HEADER) : "chat-" + Events.newId();
    if (!services.busyConversations().add(id)) {
      throw ApiError.conflict(
              "conversation_busy",
              "conversation '" + id + "' is answering another request; wait for it to finish")
          .exception();
    }
    ctx.addEndHandler(v -> services.busyConversations().remove(id));
    if (kept) {
      ctx.response().putHeader(CONVERSATION_HEADER, id);
    }
    final Future<Optional<ApiConversation>> existing =
        kept
            ? services.resolver().resolve(id, ctx.request().headers())
            : Future.succeededFuture(Optional.empty());
    existing.onComplete(
        ar -> {
          if (ar.failed()) {
            fail(ctx, ar.cause());
            return;
          }
          final int known;
          try {
            known = HistoryMatch.ingested(id, ar.result(), request.messages());
          } catch (final ApiException e) {
            Responses.error(ctx, e.error());
            return;
          }
          final long tokensBefore = ar.result().map(ApiConversation::tokens).orElse(0L);
          final List<ConversationEvent> appends = new ArrayList<>();
          for (final ChatMessage m : request.messages().subList(known, request.messages().size())) {
            appends.add(Events.appendText(m.role(), m.text()));
          }
          new Exchange(ctx, request, id, kept, tokensBefore).start(appends);
        });
  }

  private static void fail(final RoutingContext ctx, final Throwable cause) {
    if (cause instanceof ApiException api) {
      Responses.error(ctx, api.error());
    } else {
      ctx.fail(cause);
    }
  }

  /** One chat completion in flight. */
  private final class Exchange implements GenerationCall.Listener {
    private final RoutingContext ctx;
    private final ChatRequest request;
    private final String conversationId;
    private final boolean kept;
    private final long tokensBefore;
    private final long created = System.currentTimeMillis() / 1000;
    private String completionId = "chatcmpl-";
    private SseStream sse;
    private GenerationCall call;
    private boolean leading = true;
    private boolean accepted;
    private boolean cleaned;

    Exchange(
        final RoutingContext ctx,
        final ChatRequest request,
        final String conversationId,
        final boolean kept,
        final long tokensBefore) {
      this.ctx = ctx;
      this.request = request;
      this.conversationId = conversationId;
      this.kept = kept;
      this.tokensBefore = tokensBefore;
    }

    void start(final List<ConversationEvent> appends) {
      if (request.stream()) {
        sse =
            new SseStream(
                services.vertx(),
                ctx.response(),
                services.heartbeatMs(),
                services.streamBufferBytes(),
                this::tooSlow);
      }
      call = GenerationCall.start(services, conversationId, appends, request.generate(), this);
      completionId = "chatcmpl-" + call.requestId().substring("gen-".length());
      ctx.response()
          .closeHandler(
              v -> {
                if (sse != null) {
                  sse.abandon();
                }
                call.cancel();
                cleanUp();
              });
    }

    @Override
    public void onChunk(final TokenChunk chunk) {
      if (sse == null) {
        return;
      }
      String text = chunk.getText();
      if (leading) {
        text = text.stripLeading();
        if (text.isEmpty()) {
          return;
        }
        leading = false;
        sse.data(
            chunk(new JsonObject().put("role", "assistant").put("content", ""), null).encode());
      }
      sse.data(chunk(new JsonObject().put("content", text), null).encode());
    }

    @Override
    public void onDone(final GenerationDone done) {
      final JsonObject usage = usage(done);
      if (sse == null) {
        Responses.json(
            ctx,
            200,
            new JsonObject()
                .put("id", completionId)
                .put("object", "chat.completion")
                .put("created", created)
                .put("model", services.ports().model().id())
                .put(
                    "choices",
                    new JsonArray()
                        .add(
                            new JsonObject()
                                .put("index", 0)
                                .put(
                                    "message",
                                    new JsonObject()
                                        .put("role", "assistant")
                                        .put("content", ChatTurns.replyText(done.getText()))
                                        .putNull("refusal"))
                                .putNull("logprobs")
                                .put("finish_reason", finishReason(done.getFinishReason()))))
                .put("usage", usage));
      } else {
        if (leading) {
          sse.data(
              chunk(new JsonObject().put("role", "assistant").put("content", ""), null).encode());
        }
        sse.data(chunk(new JsonObject(), finishReason(done.getFinishReason())).encode());
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
      if (sse != null && sse.started()) {
        sse.data(error.toJson().encode());
        sse.end();
      } else {
        if (sse != null) {
          sse.abandon();
        }
        Responses.error(ctx, error);
      }
      cleanUp();
    }

    private JsonObject usage(final GenerationDone done) {
      final long completion = done.getUsage().getCompletionTokens();
      final long prompt =
          Math.max(0, done.getUsage().getConversationTokens() - completion - tokensBefore);
      return new JsonObject()
          .put("prompt_tokens", prompt)
          .put("completion_tokens", completion)
          .put("total_tokens", prompt + completion);
    }

    private JsonObject base() {
      return new JsonObject()
          .put("id", completionId)
          .put("object", "chat.completion.chunk")
          .put("created", created)
          .put("model", services.ports().model().id());
    }

    private JsonObject chunk(final JsonObject delta, final String finishReason) {
      final JsonObject choice =
          new JsonObject()
              .put("index", 0)
              .put("delta", delta)
              .putNull("logprobs")
              .put("finish_reason", finishReason);
      return base().put("choices", new JsonArray().add(choice));
    }

    private void tooSlow() {
      call.cancel();
      ctx.response().reset();
    }

    @Override
    public void onAccepted(final Written written) {
      accepted = true;
    }

    /** An unnamed conversation lives for one request only. */
    private void cleanUp() {
      if (!kept && accepted && !cleaned) {
        cleaned = true;
        deleteConversation();
      }
    }

    private void deleteConversation() {
      services
          .publisher()
          .publish(Vertx.currentContext(), conversationId, Events.delete())
          .onFailure(
              e ->
                  LOG.warn(
                      "could not delete the one-request conversation {}: {}",
                      conversationId,
                      e.getMessage()));
    }
  }

  private static String finishReason(final FinishReason reason) {
    return reason == FinishReason.FINISH_REASON_LENGTH ? "length" : "stop";
  }
}
