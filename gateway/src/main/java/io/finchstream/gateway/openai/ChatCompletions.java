package io.finchstream.gateway.openai;

import com.google.protobuf.ByteString;
import io.finchstream.gateway.GatewayServices;
import io.finchstream.gateway.StoredMessage;
import io.finchstream.gateway.conversation.Admission;
import io.finchstream.gateway.conversation.ApiConversation;
import io.finchstream.gateway.conversation.ApiMessages;
import io.finchstream.gateway.conversation.ChatTurns;
import io.finchstream.gateway.conversation.ChoiceCalls;
import io.finchstream.gateway.conversation.ConversationIds;
import io.finchstream.gateway.conversation.ReplyJson;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.http.ApiException;
import io.finchstream.gateway.http.ApiKeyAuth;
import io.finchstream.gateway.http.JsonBodies;
import io.finchstream.gateway.http.Responses;
import io.finchstream.gateway.http.SseStream;
import io.finchstream.gateway.kafka.Events;
import io.finchstream.gateway.ops.ClientApi;
import io.finchstream.proto.TenantKeys;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.TokenChunk;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Arrays;
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
 * whole history. A history that differs from the stored one (a regenerated or edited turn, a retry
 * after a cut-off reply) rewinds the conversation to the longest common prefix first. Without the
 * header every request is a fresh conversation, deleted after the answer. One request at a time per
 * conversation: a second one while the first is generating gets 409.
 */
public final class ChatCompletions {

  /** Request header naming the conversation to continue. */
  public static final String CONVERSATION_HEADER = "X-Conversation-Id";

  /** Stored messages read per request to the owner when a history is matched. */
  private static final int PAGE = 1000;

  private static final Logger LOG = LoggerFactory.getLogger(ChatCompletions.class);

  /** The first delta of a streamed choice. */
  private static final JsonObject ROLE =
      new JsonObject().put("role", "assistant").put("content", "");

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
    if (header == null && services.autoReuse()) {
      automatic(ctx, request, 0, System.nanoTime() + services.readYourWritesMs() * 1_000_000);
      return;
    }
    final boolean kept = header != null;
    final String id =
        kept ? ConversationIds.require(header, CONVERSATION_HEADER) : "chat-" + Events.newId();
    final String key = ApiKeyAuth.conversationKey(ctx, id);
    if (!services.busyConversations().add(key)) {
      throw ApiError.conflict(
              "conversation_busy",
              "conversation '" + id + "' is answering another request; wait for it to finish")
          .exception();
    }
    ctx.addEndHandler(v -> services.busyConversations().remove(key));
    if (kept) {
      ctx.response().putHeader(CONVERSATION_HEADER, id);
    }
    final Future<HistoryMatch.Plan> plan =
        kept
            ? services
                .resolver()
                .resolve(key)
                .compose(info -> plan(key, id, info, request.messages()))
            : Future.succeededFuture(HistoryMatch.fresh());
    plan.onComplete(
        ar -> {
          if (ar.failed()) {
            fail(ctx, ar.cause());
            return;
          }
          final HistoryMatch.Plan p = ar.result();
          final int fresh = request.messages().size() - p.appendFrom();
          if (fresh > services.maxNewMessages()) {
            Responses.error(
                ctx,
                ApiError.tooLarge(
                    "messages",
                    "the request adds "
                        + fresh
                        + " messages the conversation does not hold yet; at most "
                        + services.maxNewMessages()
                        + " are accepted per request (gateway.max.new.messages)"));
            return;
          }
          final List<Admission.Item> before = new ArrayList<>();
          if (p.rewindTo() >= 0) {
            before.add(Admission.item(Events.rewind(p.rewindTo()), "messages"));
          }
          for (int i = p.appendFrom(); i < request.messages().size(); i++) {
            final ChatMessage m = request.messages().get(i);
            before.add(Admission.item(Events.appendText(m.role(), m.text()), request.param(i)));
          }
          new Exchange(ctx, request, key, kept, p.tokensBefore(), -1).start(before);
        });
  }

  /**
   * A chat completion without {@code X-Conversation-Id}: continues the longest prefix of its
   * messages that an automatic conversation of the caller's tenant holds ({@link AutoReuse}).
   *
   * @param attempt 0, or 1 when the first attempt's conversation changed before its Generate was
   *     applied ({@code HISTORY_CHANGED}): looked up and planned again once, then 409
   * @param waitUntil until when (nanoTime) a candidate still finishing a reply is waited for
   */
  private void automatic(
      final RoutingContext ctx,
      final ChatRequest request,
      final int attempt,
      final long waitUntil) {
    final List<ChatMessage> messages = request.messages();
    final List<byte[]> digests = AutoReuse.digests(messages);
    final String rootId = AutoReuse.rootId(ApiKeyAuth.tenant(ctx), messages, digests);
    final String rootKey = ApiKeyAuth.conversationKey(ctx, rootId);
    services
        .resolver()
        .prefix(rootKey, digests)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                fail(ctx, ar.cause());
                return;
              }
              if (AutoReuse.worthWaiting(ar.result(), services.busyConversations()::contains)
                  && System.nanoTime() < waitUntil) {
                services.vertx().setTimer(20, t -> automatic(ctx, request, attempt, waitUntil));
                return;
              }
              final String branch = AutoReuse.newBranch(rootId);
              final AutoReuse.Plan plan =
                  AutoReuse.choose(
                      ar.result(),
                      services.busyConversations()::contains,
                      ApiKeyAuth.conversationKey(ctx, branch));
              startAutomatic(ctx, request, attempt, plan, digests.get(digests.size() - 1));
            });
  }

  private void startAutomatic(
      final RoutingContext ctx,
      final ChatRequest request,
      final int attempt,
      final AutoReuse.Plan plan,
      final byte[] historyDigest) {
    final String key = plan.targetKey();
    if (!services.busyConversations().add(key)) {
      // another request here took it a moment ago: plan again (it is now busy, so a branch)
      automatic(ctx, request, attempt, System.nanoTime());
      return;
    }
    final int fresh = request.messages().size() - plan.held();
    if (fresh > services.maxNewMessages()) {
      services.busyConversations().remove(key);
      Responses.error(
          ctx,
          ApiError.tooLarge(
              "messages",
              "the request adds "
                  + fresh
                  + " messages the service does not hold yet; at most "
                  + services.maxNewMessages()
                  + " are accepted per request (gateway.max.new.messages)"));
      return;
    }
    ctx.response().putHeader(CONVERSATION_HEADER, TenantKeys.id(key));
    final List<Admission.Item> before = new ArrayList<>();
    for (int i = plan.held(); i < request.messages().size(); i++) {
      final ChatMessage m = request.messages().get(i);
      before.add(Admission.item(Events.appendText(m.role(), m.text()), request.param(i)));
    }
    request.generate().setExpectMessageDigest(ByteString.copyFrom(historyDigest));
    final Future<Void> forked =
        plan.forkFrom() == null
            ? Future.succeededFuture()
            : fork(plan.forkFrom(), key, plan.held());
    forked.onComplete(
        ar -> {
          if (ar.failed()) {
            services.busyConversations().remove(key);
            fail(ctx, ar.cause());
            return;
          }
          final Exchange exchange =
              new Exchange(ctx, request, key, true, plan.cachedTokens(), attempt);
          exchange.start(before);
        });
  }

  /**
   * Writes a Fork of {@code sourceKey} at {@code atMessage} into {@code targetKey} (a branch of the
   * same tree, so the same partition: the branch's later events come after it).
   */
  private Future<Void> fork(final String sourceKey, final String targetKey, final long atMessage) {
    final ConversationEvent event = Events.fork(targetKey, atMessage);
    final Context context = Vertx.currentContext();
    return services
        .admission()
        .admit(sourceKey, List.of(Admission.item(event, "messages")))
        .compose(v -> services.publisher().publish(context, sourceKey, event))
        .mapEmpty();
  }

  /**
   * Where the request continues conversation {@code key} ({@link HistoryMatch}); 409 if another
   * request is generating on it (unless it is one this gateway cancelled because its client went
   * away: a retry then goes on, and the cut-off reply is dropped by the rewind).
   */
  private Future<HistoryMatch.Plan> plan(
      final String key,
      final String id,
      final Optional<ApiConversation> existing,
      final List<ChatMessage> messages) {
    if (existing.isEmpty()) {
      return Future.succeededFuture(HistoryMatch.fresh());
    }
    final ApiConversation info = existing.get();
    if (info.generating() && !info.lastRequestId().equals(services.tracker().cancelled(key))) {
      return Future.failedFuture(
          ApiError.conflict(
                  "conversation_busy",
                  "conversation '"
                      + id
                      + "' is generating a reply for another request; wait for it to finish")
              .exception());
    }
    if (!info.generating()) {
      final HistoryMatch.Plan whole = HistoryMatch.continuing(info, messages);
      if (whole != null) {
        return Future.succeededFuture(whole);
      }
    }
    return stored(key, info.firstMessage(), info.messages(), new ArrayList<>())
        .map(
            stored -> {
              final HistoryMatch.Plan p = HistoryMatch.plan(info, messages, stored);
              // a cancelled generation still finishing will record its reply: drop it as well
              return info.generating() ? HistoryMatch.rewinding(p) : p;
            });
  }

  /** The stored messages {@code [from, to)} of conversation {@code key}, a page at a time. */
  private Future<List<StoredMessage>> stored(
      final String key, final long from, final long to, final List<StoredMessage> into) {
    if (from >= to) {
      return Future.succeededFuture(into);
    }
    return services
        .resolver()
        .messages(key, from, (int) Math.min(PAGE, to - from))
        .compose(
            page -> {
              final List<StoredMessage> got = page.map(ApiMessages::messages).orElse(List.of());
              into.addAll(got);
              if (got.isEmpty()) {
                return Future.succeededFuture(into);
              }
              return stored(key, got.get(got.size() - 1).index() + 1, to, into);
            });
  }

  private static void fail(final RoutingContext ctx, final Throwable cause) {
    if (cause instanceof ApiException api) {
      Responses.error(ctx, api.error());
    } else {
      ctx.fail(cause);
    }
  }

  /** One chat completion in flight: its {@code n} choices ({@link ChoiceCalls}). */
  private final class Exchange implements ChoiceCalls.Listener {
    private final RoutingContext ctx;
    private final ChatRequest request;

    /** The conversation's Kafka key (in the caller's tenant). */
    private final String conversationId;

    private final boolean kept;
    private final long tokensBefore;

    /**
     * For an automatic conversation, its attempt ({@link #automatic}); -1 for a named or
     * one-request conversation.
     */
    private final int attempt;

    private final long created = System.currentTimeMillis() / 1000;
    private String completionId = "chatcmpl-";
    private SseStream sse;
    private ChoiceCalls calls;
    private boolean cleaned;

    /** Per choice: whether its first visible text is still to come (streamed). */
    private final boolean[] leading;

    /** Per choice: its end, once it came. */
    private final GenerationDone[] done;

    /**
     * Per choice, with {@code logprobs}: the entries not yet sent (streamed) or all of them (one
     * body); bounded by {@code max_tokens}; null when not asked.
     */
    private final JsonArray[] logprobs;

    /** Per choice with tools (not {@code none}): its reply reader; null otherwise. */
    private final ToolReply[] tools;

    Exchange(
        final RoutingContext ctx,
        final ChatRequest request,
        final String conversationId,
        final boolean kept,
        final long tokensBefore,
        final int attempt) {
      this.ctx = ctx;
      this.request = request;
      this.conversationId = conversationId;
      this.kept = kept;
      this.tokensBefore = tokensBefore;
      this.attempt = attempt;
      this.leading = new boolean[request.n()];
      Arrays.fill(leading, true);
      this.done = new GenerationDone[request.n()];
      this.logprobs = new JsonArray[request.n()];
      if (request.generate().getLogprobs()) {
        Arrays.setAll(logprobs, i -> new JsonArray());
      }
      this.tools =
          request.tools() == null || request.tools().reply() == null
              ? null
              : new ToolReply[request.n()];
      if (tools != null) {
        Arrays.setAll(tools, i -> request.tools().reply());
      }
    }

    void start(final List<Admission.Item> appends) {
      if (request.stream()) {
        sse =
            new SseStream(
                services.vertx(),
                ctx.response(),
                services.heartbeatMs(),
                services.streamBufferBytes(),
                this::tooSlow);
      }
      calls =
          ChoiceCalls.start(
              services,
              conversationId,
              appends,
              request.generate(),
              request.n(),
              ClientApi.OPENAI,
              this);
      completionId = "chatcmpl-" + calls.requestId().substring("gen-".length());
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
      // An automatic conversation's head waits for the first token: until then the request may
      // still move to another conversation (HISTORY_CHANGED), whose id the header must name.
      if (sse != null && attempt < 0) {
        sse.open();
      }
    }

    @Override
    public void onChunk(final int choice, final TokenChunk chunk) {
      if (logprobs[choice] != null) {
        logprobs[choice].addAll(ReplyJson.logprobs(chunk, false));
      }
      if (sse == null) {
        return;
      }
      if (tools != null) {
        for (final JsonObject delta : tools[choice].push(chunk.getText())) {
          sse.data(chunk(choice, delta, null).encode());
        }
        return;
      }
      String text = chunk.getText();
      if (text.isEmpty()) {
        return; // a token whose text is held back (an unfinished character, a possible stop)
      }
      if (leading[choice]) {
        text = text.stripLeading();
        if (text.isEmpty()) {
          return; // its log probabilities go with the next chunk
        }
        leading[choice] = false;
        sse.data(chunk(choice, ROLE.copy(), null).encode());
      }
      sse.data(chunk(choice, new JsonObject().put("content", text), null).encode());
    }

    @Override
    public void onDone(final int choice, final GenerationDone end) {
      done[choice] = end;
      if (tools != null) {
        if (sse == null) {
          tools[choice].push(end.getText());
        }
        final List<JsonObject> deltas = tools[choice].finish();
        if (sse != null) {
          for (final JsonObject delta : deltas) {
            sse.data(chunk(choice, delta, null).encode());
          }
          sse.data(
              chunk(
                      choice,
                      new JsonObject(),
                      tools[choice].finishReason(finishReason(end.getFinishReason())))
                  .encode());
        }
        return;
      }
      if (sse != null) {
        if (leading[choice]) {
          sse.data(chunk(choice, ROLE.copy(), null).encode());
        }
        sse.data(chunk(choice, new JsonObject(), finishReason(end.getFinishReason())).encode());
      }
    }

    @Override
    public void onAllDone() {
      final JsonObject usage = usage();
      if (sse == null) {
        final JsonArray choices = new JsonArray();
        for (int i = 0; i < done.length; i++) {
          choices.add(
              new JsonObject()
                  .put("index", i)
                  .put(
                      "message",
                      tools != null
                          ? tools[i].message()
                          : new JsonObject()
                              .put("role", "assistant")
                              .put("content", ChatTurns.replyText(done[i].getText()))
                              .putNull("refusal"))
                  .put("logprobs", takeLogprobs(i))
                  .put(
                      "finish_reason",
                      tools != null
                          ? tools[i].finishReason(finishReason(done[i].getFinishReason()))
                          : finishReason(done[i].getFinishReason())));
        }
        Responses.json(
            ctx,
            200,
            new JsonObject()
                .put("id", completionId)
                .put("object", "chat.completion")
                .put("created", created)
                .put("model", services.ports().model().id())
                .put("choices", choices)
                .put("usage", usage));
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
      if (attempt == 0
          && HISTORY_CHANGED.equals(error.code())
          && (sse == null || !sse.started())
          && !ctx.response().closed()) {
        // the conversation moved between the lookup and the Generate: plan again, once
        if (sse != null) {
          sse.abandon();
        }
        services.busyConversations().remove(conversationId);
        automatic(ctx, request, 1, System.nanoTime() + services.readYourWritesMs() * 1_000_000);
        return;
      }
      if (attempt >= 0) {
        services.busyConversations().remove(conversationId);
      }
      SseStream.fail(sse, ctx, error, s -> s.data(error.toJson().encode()));
      cleanUp();
    }

    /**
     * OpenAI's usage: {@code prompt_tokens} the whole prompt the reply was generated from (the
     * history, the new messages and the reply prefix), {@code cached_tokens} the part of it the
     * service held already and did not compute again; {@code completion_tokens} those of every
     * choice.
     */
    private JsonObject usage() {
      long completion = 0;
      for (final GenerationDone d : done) {
        completion += d.getUsage().getCompletionTokens();
      }
      final long prompt =
          Math.max(
              0,
              done[0].getUsage().getConversationTokens()
                  - done[0].getUsage().getCompletionTokens());
      return new JsonObject()
          .put("prompt_tokens", prompt)
          .put("completion_tokens", completion)
          .put("total_tokens", prompt + completion)
          .put(
              "prompt_tokens_details",
              new JsonObject().put("cached_tokens", Math.min(tokensBefore, prompt)));
    }

    private JsonObject base() {
      return new JsonObject()
          .put("id", completionId)
          .put("object", "chat.completion.chunk")
          .put("created", created)
          .put("model", services.ports().model().id());
    }

    /**
     * OpenAI's {@code choices[i].logprobs} for the tokens of choice {@code i} received since the
     * last call, or null when not asked for.
     */
    private JsonObject takeLogprobs(final int i) {
      if (logprobs[i] == null) {
        return null;
      }
      final JsonObject out = new JsonObject().put("content", logprobs[i].copy()).putNull("refusal");
      logprobs[i].clear();
      return out;
    }

    private JsonObject chunk(final int i, final JsonObject delta, final String finishReason) {
      final JsonObject choice =
          new JsonObject()
              .put("index", i)
              .put("delta", delta)
              .put("logprobs", delta.containsKey("role") ? null : takeLogprobs(i))
              .put("finish_reason", finishReason);
      return base().put("choices", new JsonArray().add(choice));
    }

    private void tooSlow() {
      calls.cancel();
      ctx.response().reset();
    }

    /**
     * An unnamed conversation lives for one request only: deleted once anything may have been
     * written to it, whatever the outcome (deleting a conversation that never came to be is a
     * no-op).
     */
    private void cleanUp() {
      if (attempt >= 0) {
        services.busyConversations().remove(conversationId);
      }
      // Once events were handed to Kafka they may land even if the writes failed or timed out.
      if (!kept && calls != null && calls.wrote() && !cleaned) {
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

  /** The code of the processors' refusal of a Generate whose history changed. */
  private static final String HISTORY_CHANGED = "history_changed";

  private static String finishReason(final FinishReason reason) {
    return reason == FinishReason.FINISH_REASON_LENGTH ? "length" : "stop";
  }
}
