package io.finchstream.gateway.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Consumer;

/**
 * One Server-Sent Events response: {@code text/event-stream} frames written through a {@link
 * BoundedWriter}, and comment pings every heartbeat period once it is open. The head is written by
 * {@link #open} (when the generation is accepted: its events are in Kafka) or the first frame,
 * whichever comes first, so that a request refused before that still gets a proper status code and
 * JSON error, and one accepted gets its head at once, however long the first token takes; errors
 * after that go in-band.
 *
 * <p>Not thread-safe: use it on the request's context only.
 */
public final class SseStream {

  private final Vertx vertx;
  private final HttpServerResponse response;
  private final BoundedWriter writer;
  private final long timer;
  private boolean started;
  private boolean ended;

  /**
   * @param onOverflow called when the client reads too slowly and more than {@code limitBytes} wait
   */
  public SseStream(
      final Vertx vertx,
      final HttpServerResponse response,
      final long heartbeatMs,
      final long limitBytes,
      final Runnable onOverflow) {
    this.vertx = vertx;
    this.response = response;
    this.writer =
        new BoundedWriter(
            new BoundedWriter.Sink() {
              @Override
              public void write(final String frame) {
                response.write(frame);
              }

              @Override
              public boolean writeQueueFull() {
                return response.writeQueueFull();
              }

              @Override
              public void onDrain(final Runnable drained) {
                response.drainHandler(v -> drained.run());
              }
            },
            limitBytes,
            onOverflow);
    this.timer = vertx.setPeriodic(heartbeatMs, id -> ping());
  }

  /** Whether the head went out (after which errors can only be reported in-band). */
  public boolean started() {
    return started;
  }

  /** Writes the head now (status 200, event-stream headers), if not yet written. */
  public void open() {
    if (ended || response.closed() || started) {
      return;
    }
    start();
    response.writeHead();
  }

  /** Sends {@code data: json} (one line; JSON has no raw newlines). */
  public void data(final String json) {
    frame("data: " + json + "\n\n");
  }

  /** Sends a named event. */
  public void event(final String name, final String json) {
    frame("event: " + name + "\ndata: " + json + "\n\n");
  }

  /** Ends the stream once everything held is written. */
  public void end() {
    if (ended) {
      return;
    }
    ended = true;
    vertx.cancelTimer(timer);
    start();
    writer.whenFlushed(
        () -> {
          if (!response.closed() && !response.ended()) {
            response.end();
          }
        });
  }

  /**
   * Ends a request that failed with {@code error}: once {@code sse} has started, in-band ({@code
   * lastEvent} writes the error in the stream's own format) and the stream ends; before (or with no
   * stream, null), the stream is abandoned and the request answered with the error's status.
   */
  public static void fail(
      final SseStream sse,
      final RoutingContext ctx,
      final ApiError error,
      final Consumer<SseStream> lastEvent) {
    if (sse != null && sse.started()) {
      lastEvent.accept(sse);
      sse.end();
      return;
    }
    if (sse != null) {
      sse.abandon();
    }
    Responses.error(ctx, error);
  }

  /** Stops the heartbeat without touching the response (the client went away). */
  public void abandon() {
    ended = true;
    vertx.cancelTimer(timer);
  }

  private void ping() {
    if (started) {
      frame(": ping\n\n");
    }
  }

  private void frame(final String frame) {
    if (ended || response.closed()) {
      return;
    }
    start();
    writer.offer(frame);
  }

  private void start() {
    if (started || response.closed()) {
      return;
    }
    started = true;
    response
        .setStatusCode(200)
        .setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
  }
}
