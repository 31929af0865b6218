package io.finchstream.gateway.conversation;

import io.finchstream.gateway.EventAdmission;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.Error;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Optional;

/**
 * Asks the {@link EventAdmission} port about the events a request is about to write, all of them
 * before any is written, and turns the first refusal into the 4xx the client gets (the processors'
 * code and reason, naming the request field the event came from). Small events are checked on the
 * caller's event loop; events of more than {@value #INLINE_BYTES} bytes together on a worker.
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
   * refuse.
   */
  public Future<Void> admit(final String key, final List<Item> items) {
    long bytes = 0;
    for (final Item i : items) {
      bytes += i.event().getSerializedSize();
    }
    if (bytes <= INLINE_BYTES) {
      try {
        check(key, items);
        return Future.succeededFuture();
      } catch (final RuntimeException e) {
        return Future.failedFuture(e);
      }
    }
    return vertx.executeBlocking(
        () -> {
          check(key, items);
          return null;
        },
        false);
  }

  private void check(final String key, final List<Item> items) {
    for (final Item item : items) {
      final Optional<EventAdmission.Refusal> refusal = port.check(key, item.event());
      if (refusal.isPresent()) {
        throw toApiError(refusal.get(), item.param()).exception();
      }
    }
  }

  private static ApiError toApiError(final EventAdmission.Refusal refusal, final String param) {
    final ApiError error =
        ReplyErrors.toApiError(
            Error.newBuilder().setCode(refusal.code()).setMessage(refusal.reason()).build());
    final String message = param == null ? error.message() : "'" + param + "': " + error.message();
    return new ApiError(error.status(), error.type(), error.code(), message, param);
  }
}
