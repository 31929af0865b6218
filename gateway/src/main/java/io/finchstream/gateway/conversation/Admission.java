package io.finchstream.gateway.conversation;

import io.finchstream.gateway.EventAdmission;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.Error;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Asks the {@link EventAdmission} port about the events a request is about to write, all of them
 * before any is written, and turns the first refusal into the 4xx the client gets (the processors'
 * code and reason, naming the request field the event came from). Small events are checked on the
 * caller's event loop; events of more than {@value #INLINE_BYTES} bytes together, and Generates
 * with a response format (a schema to compile), on a worker. The conversations with checks in
 * flight are remembered (to answer in order), so that memory is bounded by the requests in flight.
 */
public final class Admission {

  /** Events up to this size (serialized, together) are checked without leaving the event loop. */
  static final int INLINE_BYTES = 16 * 1024;

  /**
   * One event to check, and the request field it comes from ({@code text}, {@code
   * messages[3].content}; null when the whole request is meant).
   */
  public record Item(ConversationEvent event, String param) {}

  private final Vertx vertx;
  private final EventAdmission port;

  /** Per conversation, the last admission asked for and not yet answered. */
  private final Map<String, Future<Void>> queue = new ConcurrentHashMap<>();

  public Admission(final Vertx vertx, final EventAdmission port) {
    this.vertx = vertx;
    this.port = port;
  }

  /** One event of field {@code param}. */
  public static Item item(final ConversationEvent event, final String param) {
    return new Item(event, param);
  }

  /**
   * Completes, on the caller's context, when the processors would accept every one of {@code items}
   * for conversation {@code key}; fails with an {@code ApiException} for the first they would
   * refuse. The answers for one conversation come in the order they were asked for, so a caller
   * that writes in its callback writes in that order too (a WebSocket's frames, say, however long
   * each takes to check).
   */
  @SuppressWarnings("ReferenceEquality") // the caller's own context, by identity
  public Future<Void> admit(final String key, final List<Item> items) {
    final Context caller = Vertx.currentContext();
    final Promise<Void> answer = Promise.promise();
    final Future<Void> mine = answer.future();
    final Future<Void> before = queue.put(key, mine);
    mine.onComplete(ar -> queue.remove(key, mine));
    final Runnable run =
        () ->
            check(key, items)
                .onComplete(
                    ar -> {
                      if (caller == null || Vertx.currentContext() == caller) {
                        answer.handle(ar);
                      } else {
                        caller.runOnContext(v -> answer.handle(ar));
                      }
                    });
    if (before == null || before.isComplete()) {
      run.run();
    } else {
      before.onComplete(ar -> run.run());
    }
    return mine;
  }

  /** At once for small events, on a worker for large ones. */
  private Future<Void> check(final String key, final List<Item> items) {
    long bytes = 0;
    for (final Item i : items) {
      bytes += i.event().getSerializedSize();
      if (i.event().getGenerate().hasResponseFormat()) {
        bytes = Long.MAX_VALUE; // compiling a schema (once per vocabulary a table) is work
        break;
      }
    }
    if (bytes <= INLINE_BYTES) {
      try {
        checkNow(key, items);
        return Future.succeededFuture();
      } catch (final RuntimeException e) {
        return Future.failedFuture(e);
      }
    }
    return vertx.executeBlocking(
        () -> {
          checkNow(key, items);
          return null;
        },
        false);
  }

  private void checkNow(final String key, final List<Item> items) {
    for (final Item item : items) {
      final Optional<EventAdmission.Refusal> refusal = port.check(key, item.event());
      if (refusal.isPresent()) {
        throw toApiError(refusal.get(), item.param()).exception();
      }
    }
  }

  /**
   * Request fields a Generate's refusal may start with (the processors' validator names them so):
   * the {@code param} of a refusal of a whole Generate.
   */
  private static final Pattern GENERATE_PARAM =
      Pattern.compile(
          "^(response_format(?:\\.json_schema(?:\\.schema)?)?|logit_bias|top_logprobs|logprobs"
              + "|max_tokens|tools)\\b");

  private static ApiError toApiError(final EventAdmission.Refusal refusal, final String given) {
    final ApiError error =
        ReplyErrors.toApiError(
            Error.newBuilder().setCode(refusal.code()).setMessage(refusal.reason()).build());
    if (given == null) {
      // a whole Generate: the reason starts with the field it is about, when it is one
      final Matcher m = GENERATE_PARAM.matcher(refusal.reason());
      return new ApiError(
          error.status(),
          error.type(),
          error.code(),
          error.message(),
          m.find() ? m.group(1) : null);
    }
    final String message = "'" + given + "': " + error.message();
    return new ApiError(error.status(), error.type(), error.code(), message, given);
  }
}
