package io.finchstream.gateway.conversation;

import io.finchstream.gateway.GatewayServices;
import io.finchstream.gateway.http.AccessLog;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.http.ApiException;
import io.finchstream.gateway.http.ApiKeyAuth;
import io.finchstream.gateway.http.JsonBodies;
import io.finchstream.gateway.http.Responses;
import io.finchstream.gateway.http.SseStream;
import io.finchstream.gateway.kafka.Events;
import io.finchstream.gateway.kafka.Written;
import io.finchstream.gateway.ops.ClientApi;
import io.finchstream.proto.ConversationKeys;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.TokenChunk;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The native conversation API:
 *
 * <ul>
 *   <li>{@code POST /v1/conversations/{id}/messages} {text | tokens, role} → 202 with the event's
 *       partition and offset;
 *   <li>{@code POST /v1/conversations/{id}/generate} {max_tokens, temperature, top_p, top_k, stop,
 *       seed, stream, ephemeral, ...} → an SSE stream of {@code token} events ending with one
 *       {@code done} event (or one JSON body with {@code "stream": false});
 *   <li>{@code GET /v1/conversations/{id}} → metadata (interactive queries, wherever it lives);
 *   <li>{@code POST /v1/conversations/{id}/fork} {new_id[, at_message]} → 202;
 *   <li>{@code POST /v1/conversations/{id}/rewind} {to_message} → 202;
 *   <li>{@code GET /v1/conversations/{id}/messages?from=&limit=} → the stored messages;
 *   <li>{@code DELETE /v1/conversations/{id}} → 202.
 * </ul>
 *
 * Ids are the caller's: every conversation is written and read under the Kafka key of the caller's
 * tenant ({@link ApiKeyAuth#conversationKey}), so another tenant's conversation of the same id is
 * not there for it (404).
 */
public final class ConversationRoutes {

  private static final Set<String> GENERATE_FIELDS = generateFields();

  /** Messages per page of {@code GET .../messages}, by default and at most. */
  static final int DEFAULT_PAGE = 100;

  static final int MAX_PAGE = 1000;

  private final GatewayServices services;

  public ConversationRoutes(final GatewayServices services) {
    this.services = services;
  }

  private static Set<String> generateFields() {
    final Set<String> fields = new HashSet<>(GenerateParams.FIELDS);
    fields.add("stream");
    fields.add("prefix");
    fields.add("ephemeral");
    fields.add("logprobs");
    fields.add("n");
    return Set.copyOf(fields);
  }

  /** {@code POST /v1/conversations/{id}/messages}. */
  public void appendMessage(final RoutingContext ctx) {
    final String id = ConversationIds.require(ctx.pathParam("id"), "id");
    final ConversationEvent event =
        MessageEvents.read(
            JsonBodies.object(ctx), services.ports().model(), services.ports().limits());
    publish(ctx, id, event, event.hasAppendText() ? "text" : "tokens", new JsonObject());
  }

  /** {@code POST /v1/conversations/{id}/generate}. */
  public void generate(final RoutingContext ctx) {
    final String id = ConversationIds.require(ctx.pathParam("id"), "id");
    final JsonObject body = JsonBodies.object(ctx);
    JsonBodies.onlyFields(body, GENERATE_FIELDS);
    final Generate.Builder generate =
        GenerateParams.read(
            body, services.ports().model(), services.ports().limits(), 10, List.of());
    final String prefix = JsonBodies.string(body, "prefix");
    if (prefix != null) {
      MessageEvents.checkText(prefix, "prefix", services.ports().limits());
      generate.setPrefixText(prefix);
    }
    generate.setEphemeral(JsonBodies.bool(body, "ephemeral", false));
    nativeLogprobs(body, generate);
    final Long n = JsonBodies.integer(body, "n", 1, ChoiceCalls.MAX_CHOICES);
    if (n != null && n > 1) {
      generateChoices(ctx, id, generate, n.intValue(), JsonBodies.bool(body, "stream", true));
    } else if (JsonBodies.bool(body, "stream", true)) {
      streamGeneration(ctx, id, generate);
    } else {
      awaitGeneration(ctx, id, generate);
    }
  }

  /**
   * The native {@code "logprobs": k}: report every token's log probability and the {@code k}
   * (0..20) most likely tokens at each step; absent or {@code null}: none.
   */
  static void nativeLogprobs(final JsonObject body, final Generate.Builder generate) {
    final Long k = JsonBodies.integer(body, "logprobs", 0, GenerateParams.MAX_TOP_LOGPROBS);
    if (k != null) {
      GenerateParams.logprobs(generate, true, k.intValue());
    }
  }

  private void streamGeneration(
      final RoutingContext ctx, final String id, final Generate.Builder generate) {
    final GenerationCall[] call = new GenerationCall[1];
    final SseStream sse =
        new SseStream(
            services.vertx(),
            ctx.response(),
            services.heartbeatMs(),
            services.streamBufferBytes(),
            () -> tooSlow(ctx, call[0]));
    call[0] =
        GenerationCall.start(
            services,
            ApiKeyAuth.conversationKey(ctx, id),
            List.of(),
            generate,
            ClientApi.NATIVE,
            new GenerationCall.Listener() {
              @Override
              public void onAccepted(final Written written) {
                sse.open();
              }

              @Override
              public void onChunk(final TokenChunk chunk) {
                sse.event("token", ReplyJson.chunk(chunk).encode());
              }

              @Override
              public void onDone(final GenerationDone done) {
                sse.event("done", ReplyJson.done(id, call[0].requestId(), done).encode());
                sse.end();
              }

              @Override
              public void onError(final ApiError error) {
                SseStream.fail(sse, ctx, error, s -> s.event("error", errorEvent(error)));
              }
            });
    requestIdHeader(ctx, call[0]);
    ctx.response()
        .closeHandler(
            v -> {
              sse.abandon();
              call[0].cancel();
            });
  }

  private void awaitGeneration(
      final RoutingContext ctx, final String id, final Generate.Builder generate) {
    final GenerationCall[] call = new GenerationCall[1];
    // bounded by max_tokens (one entry per generated token)
    final JsonArray logprobs = generate.getLogprobs() ? new JsonArray() : null;
    call[0] =
        GenerationCall.start(
            services,
            ApiKeyAuth.conversationKey(ctx, id),
            List.of(),
            generate,
            ClientApi.NATIVE,
            new GenerationCall.Listener() {
              @Override
              public void onChunk(final TokenChunk chunk) {
                // the done message carries the whole text; the log probabilities are collected
                if (logprobs != null) {
                  logprobs.addAll(ReplyJson.logprobs(chunk, true));
                }
              }

              @Override
              public void onDone(final GenerationDone done) {
                final JsonObject body = ReplyJson.done(id, call[0].requestId(), done);
                if (logprobs != null) {
                  body.put("logprobs", logprobs);
                }
                Responses.json(ctx, 200, body);
              }

              @Override
              public void onError(final ApiError error) {
                Responses.error(ctx, error);
              }
            });
    requestIdHeader(ctx, call[0]);
    ctx.response().closeHandler(v -> call[0].cancel());
  }

  /**
   * {@code "n"} > 1 ({@link ChoiceCalls}): streamed, every {@code token} and {@code done} event
   * carries its {@code "choice"} and the stream ends after the last choice's {@code done}; in one
   * body, the done body of choice 0 with {@code "choices"}: every choice's done body (and its
   * {@code logprobs}) with its {@code "choice"}.
   */
  private void generateChoices(
      final RoutingContext ctx,
      final String id,
      final Generate.Builder generate,
      final int n,
      final boolean stream) {
    final ChoiceCalls[] calls = new ChoiceCalls[1];
    final SseStream sse =
        stream
            ? new SseStream(
                services.vertx(),
                ctx.response(),
                services.heartbeatMs(),
                services.streamBufferBytes(),
                () -> {
                  calls[0].cancel();
                  ctx.put(AccessLog.ERROR_CODE_KEY, "client_too_slow");
                  ctx.response().reset();
                })
            : null;
    final JsonArray[] logprobs = new JsonArray[n]; // bounded by max_tokens each
    final JsonObject[] done = new JsonObject[n];
    calls[0] =
        ChoiceCalls.start(
            services,
            ApiKeyAuth.conversationKey(ctx, id),
            List.of(),
            generate,
            n,
            ClientApi.NATIVE,
            new ChoiceCalls.Listener() {
              @Override
              public void onAccepted() {
                if (sse != null) {
                  sse.open();
                }
              }

              @Override
              public void onChunk(final int choice, final TokenChunk chunk) {
                if (sse != null) {
                  sse.event("token", ReplyJson.chunk(chunk).put("choice", choice).encode());
                } else if (generate.getLogprobs()) {
                  if (logprobs[choice] == null) {
                    logprobs[choice] = new JsonArray();
                  }
                  logprobs[choice].addAll(ReplyJson.logprobs(chunk, true));
                }
              }

              @Override
              public void onDone(final int choice, final GenerationDone end) {
                done[choice] = ReplyJson.done(id, calls[0].requestId(), end).put("choice", choice);
                if (sse != null) {
                  sse.event("done", done[choice].encode());
                } else if (generate.getLogprobs()) {
                  done[choice].put(
                      "logprobs", logprobs[choice] == null ? new JsonArray() : logprobs[choice]);
                }
              }

              @Override
              public void onAllDone() {
                if (sse != null) {
                  sse.end();
                  return;
                }
                final JsonArray choices = new JsonArray();
                for (final JsonObject d : done) {
                  choices.add(d);
                }
                Responses.json(ctx, 200, done[0].copy().put("choices", choices));
              }

              @Override
              public void onError(final ApiError error) {
                SseStream.fail(sse, ctx, error, s -> s.event("error", errorEvent(error)));
              }
            });
    if (!ctx.response().headWritten()) {
      ctx.response().putHeader("X-Finchstream-Generation", calls[0].requestId());
    }
    ctx.response()
        .closeHandler(
            v -> {
              if (sse != null) {
                sse.abandon();
              }
              calls[0].cancel();
            });
  }

  private static void requestIdHeader(final RoutingContext ctx, final GenerationCall call) {
    if (!ctx.response().headWritten()) {
      ctx.response().putHeader("X-Finchstream-Generation", call.requestId());
    }
  }

  private static void tooSlow(final RoutingContext ctx, final GenerationCall call) {
    if (call != null) {
      call.cancel();
    }
    ctx.put(AccessLog.ERROR_CODE_KEY, "client_too_slow");
    ctx.response().reset();
  }

  /** {@code GET /v1/conversations/{id}}. */
  public void get(final RoutingContext ctx) {
    final String id = ConversationIds.require(ctx.pathParam("id"), "id");
    whenKnown(ctx, id, info -> Responses.json(ctx, 200, info.toJson()));
  }

  /** {@code POST /v1/conversations/{id}/fork}. */
  public void fork(final RoutingContext ctx) {
    final String id = ConversationIds.require(ctx.pathParam("id"), "id");
    final JsonObject body = JsonBodies.object(ctx);
    JsonBodies.onlyFields(body, Set.of("new_id", "at_message"));
    final String newId = ConversationIds.require(JsonBodies.string(body, "new_id"), "new_id");
    final Long at = JsonBodies.integer(body, "at_message", 0, Long.MAX_VALUE);
    if (newId.equals(id)) {
      throw ApiError.invalidParameter("new_id", "'new_id' must differ from the conversation forked")
          .exception();
    }
    final String targetKey = ApiKeyAuth.conversationKey(ctx, newId);
    final var source = services.resolver().resolve(ApiKeyAuth.conversationKey(ctx, id));
    final var target = services.resolver().resolve(targetKey);
    Future.all(source, target)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                fail(ctx, ar.cause());
              } else if (source.result().isEmpty()) {
                Responses.error(ctx, unknown(id));
              } else if (target.result().isPresent()) {
                Responses.error(
                    ctx,
                    ApiError.conflict(
                        "conversation_exists",
                        "conversation '" + newId + "' already exists; fork into a new id"));
              } else if (at == null) {
                publishFork(
                    ctx,
                    id,
                    targetKey,
                    Events.fork(targetKey),
                    "new_id",
                    new JsonObject().put("new_id", newId));
              } else {
                final ApiError refused = turnRefused(source.result().get(), at, "at_message");
                if (refused != null) {
                  Responses.error(ctx, refused);
                } else {
                  publishFork(
                      ctx,
                      id,
                      targetKey,
                      Events.fork(targetKey, at),
                      "at_message",
                      new JsonObject().put("new_id", newId).put("at_message", at));
                }
              }
            });
  }

  /**
   * {@code POST /v1/conversations/{id}/rewind} {to_message}: keep the first {@code to_message}
   * messages, drop the rest (202).
   */
  public void rewind(final RoutingContext ctx) {
    final String id = ConversationIds.require(ctx.pathParam("id"), "id");
    final JsonObject body = JsonBodies.object(ctx);
    JsonBodies.onlyFields(body, Set.of("to_message"));
    final Long to = JsonBodies.integer(body, "to_message", 0, Long.MAX_VALUE);
    if (to == null) {
      throw ApiError.invalidParameter("to_message", "'to_message' is required").exception();
    }
    whenKnown(
        ctx,
        id,
        info -> {
          final ApiError refused = turnRefused(info, to, "to_message");
          if (refused != null) {
            Responses.error(ctx, refused);
          } else {
            publish(
                ctx, id, Events.rewind(to), "to_message", new JsonObject().put("to_message", to));
          }
        });
  }

  /** Why the turn after {@code n} messages of {@code info} cannot be reached, or null. */
  private static ApiError turnRefused(
      final ApiConversation info, final long n, final String param) {
    if (n > info.messages()) {
      return ApiError.invalidParameter(
          param,
          "'"
              + param
              + "' is "
              + n
              + ", but conversation '"
              + info.id()
              + "' has "
              + info.messages()
              + " messages");
    }
    if (!info.reachable(n)) {
      return ApiError.turnNotRetained(
          param,
          "the turn after message "
              + (n - 1)
              + " of conversation '"
              + info.id()
              + "' is no longer retained; the oldest turn it can go back to is after message "
              + (info.firstMessage() - 1)
              + " (or the empty conversation, 0)");
    }
    return null;
  }

  /**
   * {@code GET /v1/conversations/{id}/messages?from=&limit=}: the stored messages (index, role,
   * text, tokens, whether a snapshot is retained at their end, whether it can be gone back to).
   */
  public void messages(final RoutingContext ctx) {
    final String id = ConversationIds.require(ctx.pathParam("id"), "id");
    final long from = queryLong(ctx, "from", 0, Long.MAX_VALUE, 0);
    final int limit = (int) queryLong(ctx, "limit", 1, MAX_PAGE, DEFAULT_PAGE);
    services
        .resolver()
        .messages(ApiKeyAuth.conversationKey(ctx, id), from, limit)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                fail(ctx, ar.cause());
              } else if (ar.result().isEmpty()) {
                Responses.error(ctx, unknown(id));
              } else {
                Responses.json(ctx, 200, ar.result().get().toJson());
              }
            });
  }

  /** A query parameter in [min, max], {@code dflt} when absent; 400 otherwise. */
  static long queryLong(
      final RoutingContext ctx,
      final String name,
      final long min,
      final long max,
      final long dflt) {
    final String v = ctx.request().getParam(name);
    if (v == null) {
      return dflt;
    }
    try {
      final long n = Long.parseLong(v);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (final NumberFormatException e) {
      // below
    }
    throw ApiError.invalidParameter(
            name, "'" + name + "' must be an integer in [" + min + ", " + max + "]")
        .exception();
  }

  /** {@code DELETE /v1/conversations/{id}}. */
  public void delete(final RoutingContext ctx) {
    final String id = ConversationIds.require(ctx.pathParam("id"), "id");
    whenKnown(ctx, id, info -> publish(ctx, id, Events.delete(), null, new JsonObject()));
  }

  /**
   * Resolves conversation {@code id}: a failure or 404 when it is unknown, else {@code known} runs
   * on it.
   */
  private void whenKnown(
      final RoutingContext ctx, final String id, final Consumer<ApiConversation> known) {
    services
        .resolver()
        .resolve(ApiKeyAuth.conversationKey(ctx, id))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                fail(ctx, ar.cause());
              } else if (ar.result().isEmpty()) {
                Responses.error(ctx, unknown(id));
              } else {
                known.accept(ar.result().get());
              }
            });
  }

  /**
   * Writes {@code event} to conversation {@code id} of the caller's tenant once the processors'
   * checks admit it, and answers 202 with where it went (and {@code extra}); {@code param} names
   * the request field a refusal is about.
   */
  private void publish(
      final RoutingContext ctx,
      final String id,
      final ConversationEvent event,
      final String param,
      final JsonObject extra) {
    publish(ctx, id, event, param, extra, null);
  }

  /**
   * Writes {@code fork} to conversation {@code id} and, when its new id {@code targetKey} is in
   * another tree (so on another partition, or at least not ordered with the source's events), then
   * a {@code ReserveFork} keyed by the new id, and only then answers 202: events sent to the new id
   * after the 202 wait for the fork (reliability audit S1-1). The Fork goes first, so the new id is
   * only ever held for a Fork that exists (a gateway that dies between the two writes leaves an
   * unreserved fork, never a hold without a fork); a fork that settles before its reservation
   * arrives leaves a marker that makes the reservation a no-op (docs/PROCESSORS.md). If the
   * reservation cannot be written, the client gets the error, and the fork (already written)
   * proceeds unreserved.
   */
  private void publishFork(
      final RoutingContext ctx,
      final String id,
      final String targetKey,
      final ConversationEvent fork,
      final String param,
      final JsonObject extra) {
    final String key = ApiKeyAuth.conversationKey(ctx, id);
    if (ConversationKeys.sameTree(key, targetKey)) {
      // same partition, same task: the processors hold the new id behind the Fork themselves
      publish(ctx, id, fork, param, extra, null);
      return;
    }
    final Context context = Vertx.currentContext();
    publish(
        ctx,
        id,
        Events.reserved(fork),
        param,
        extra,
        written ->
            services
                .publisher()
                .publish(context, targetKey, Events.reserveFork(key, written.eventId()))
                .map(reservation -> written));
  }

  private void publish(
      final RoutingContext ctx,
      final String id,
      final ConversationEvent event,
      final String param,
      final JsonObject extra,
      final Function<Written, Future<Written>> then) {
    final Context context = Vertx.currentContext();
    final String key = ApiKeyAuth.conversationKey(ctx, id);
    services
        .admission()
        .admit(key, List.of(Admission.item(event, param)))
        .compose(v -> services.publisher().publish(context, key, event))
        .compose(w -> then == null ? Future.succeededFuture(w) : then.apply(w))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                fail(ctx, ar.cause());
                return;
              }
              final Written w = ar.result();
              Responses.json(
                  ctx,
                  202,
                  extra
                      .copy()
                      .put("conversation_id", id)
                      .put("event_id", w.eventId())
                      .put("partition", w.partition())
                      .put("offset", w.offset()));
            });
  }

  /** The native stream's {@code error} event: the error body with its HTTP status. */
  private static String errorEvent(final ApiError error) {
    return error.toJson().put("status", error.status()).encode();
  }

  static ApiError unknown(final String id) {
    return ApiError.notFound("unknown_conversation", "no conversation '" + id + "'");
  }

  static void fail(final RoutingContext ctx, final Throwable cause) {
    if (cause instanceof ApiException api) {
      Responses.error(ctx, api.error());
    } else {
      ctx.fail(cause);
    }
  }
}
