package io.finchstream.gateway.conversation;

import io.finchstream.gateway.GatewayServices;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.kafka.Events;
import io.finchstream.gateway.kafka.Written;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.TokenChunk;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One generation as the gateway sees it: writes the events that come before it (appended messages),
 * then the Generate with this gateway as {@code reply_to}, and passes its replies to a {@link
 * Listener} on the caller's context, in chunk order, until the GenerationDone or an error.
 *
 * <p>If no reply comes for {@code gateway.reply.timeout.ms}, or the caller {@link #cancel}s (the
 * client went away, or read too slowly), a {@code CancelGeneration} is written so that the
 * processors stop spending compute on it. Not thread-safe: use it on the context that started it.
 */
public final class GenerationCall {

  private static final Logger LOG = LoggerFactory.getLogger(GenerationCall.class);

  /** Receives a generation's outcome. Exactly one of onDone and onError is called, once. */
  public interface Listener {
    /** Called after the Generate was written (before any reply). */
    default void onAccepted(final Written written) {}

    void onChunk(TokenChunk chunk);

    void onDone(GenerationDone done);

    void onError(ApiError error);
  }

  private final GatewayServices services;
  private final Context context;
  private final String conversationId;
  private final String requestId;
  private final Listener listener;
  private final long startedAt = System.nanoTime();
  private AutoCloseable registration;
  private long timer = -1;
  private boolean finished;
  private boolean wrote;
  private boolean counted;
  private boolean firstSeen;
  private int nextIndex;

  private GenerationCall(
      final GatewayServices services,
      final Context context,
      final String conversationId,
      final Listener listener) {
    this.services = services;
    this.context = context;
    this.conversationId = conversationId;
    this.requestId = "gen-" + Events.newId();
    this.listener = listener;
  }

  /**
   * Starts a generation of {@code conversationId}. Must be called on a Vert.x context; the listener
   * is called on it.
   *
   * @param before events to write first, in order (e.g. the new messages of a chat), each with the
   *     request field it comes from
   * @param generate the generation's parameters (request id and reply address are set here)
   */
  public static GenerationCall start(
      final GatewayServices services,
      final String conversationId,
      final List<Admission.Item> before,
      final Generate.Builder generate,
      final Listener listener) {
    final Context context = Vertx.currentContext();
    if (context == null) {
      throw new IllegalStateException("GenerationCall.start must run on a Vert.x context");
    }
    final GenerationCall call = new GenerationCall(services, context, conversationId, listener);
    call.begin(before, generate);
    return call;
  }

  /** The Generate's request id. */
  public String requestId() {
    return requestId;
  }

  /** Whether the generation is over (done, failed or cancelled). */
  public boolean finished() {
    return finished;
  }

  private void begin(final List<Admission.Item> before, final Generate.Builder generate) {
    if (!services.listener().assigned()) {
      finished = true;
      final String why = services.listener().problem();
      context.runOnContext(
          v ->
              listener.onError(
                  ApiError.unavailable(
                      "not_ready",
                      "this gateway cannot receive replies yet (" + why + "); retry shortly")));
      return;
    }
    if (services.activeGenerations().incrementAndGet() > services.maxActiveGenerations()) {
      services.activeGenerations().decrementAndGet();
      finished = true;
      context.runOnContext(
          v ->
              listener.onError(
                  ApiError.unavailable(
                      "overloaded",
                      "this gateway already waits on "
                          + services.maxActiveGenerations()
                          + " generations (gateway.max.active.generations);"
                          + " retry shortly")));
      return;
    }
    counted = true;
    registration = services.router().register(conversationId, requestId, context, this::onReply);
    final ConversationEvent event =
        Events.generate(generate.setRequestId(requestId).setReplyTo(services.instanceId()).build());
    final List<Admission.Item> all = new ArrayList<>(before);
    all.add(Admission.item(event, null));
    // Nothing is written unless the processors would take every event.
    final Future<Void> admitted = services.admission().admit(conversationId, all);
    final boolean immediate = admitted.isComplete();
    admitted.onComplete(
        ar -> {
          if (finished) {
            return;
          }
          if (ar.succeeded()) {
            write(before, event); // at once, so that events keep the order they were asked in
            return;
          }
          final ApiError error = ApiError.of(ar.cause());
          finish(error.code());
          if (immediate) {
            context.runOnContext(v -> listener.onError(error)); // never inside start()
          } else {
            listener.onError(error);
          }
        });
  }

  private void write(final List<Admission.Item> before, final ConversationEvent event) {
    wrote = true;
    final List<Future<Written>> writes = new ArrayList<>();
    for (final Admission.Item e : before) {
      writes.add(services.publisher().publish(context, conversationId, e.event()));
    }
    final Future<Written> generateWrite =
        services.publisher().publish(context, conversationId, event);
    writes.add(generateWrite);
    Future.all(writes)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                if (!finished) {
                  final ApiError error = ApiError.of(ar.cause());
                  finish(error.code());
                  // A write that timed out may still be applied: make sure nothing generates.
                  writeCancel();
                  listener.onError(error);
                }
                return;
              }
              if (!finished) {
                armTimer();
                listener.onAccepted(generateWrite.result());
              }
            });
  }

  /** Whether any event was handed to Kafka (it may be written even if the call failed). */
  public boolean wrote() {
    return wrote;
  }

  /** Stops waiting and asks the processors to stop generating (no-op once finished). */
  public void cancel() {
    if (finished) {
      return;
    }
    finish("cancelled");
    if (wrote) {
      writeCancel();
    }
  }

  private void onReply(final Reply reply) {
    if (finished) {
      return;
    }
    if (!firstSeen) {
      firstSeen = true;
      services.metrics().firstToken(System.nanoTime() - startedAt);
    }
    armTimer();
    switch (reply.getReplyCase()) {
      case CHUNK -> {
        final TokenChunk chunk = reply.getChunk();
        if (chunk.getIndex() < nextIndex) {
          return; // already seen
        }
        nextIndex = chunk.getIndex() + 1;
        services.metrics().tokens(chunk.getTokenIdsCount());
        listener.onChunk(chunk);
      }
      case DONE -> {
        finish(
            reply
                .getDone()
                .getFinishReason()
                .name()
                .replace("FINISH_REASON_", "")
                .toLowerCase(Locale.ROOT));
        listener.onDone(reply.getDone());
      }
      case ERROR -> {
        finish(reply.getError().getCode().name().toLowerCase(Locale.ROOT));
        listener.onError(ReplyErrors.toApiError(reply.getError()));
      }
      default -> LOG.warn("reply of {} for {} has no content; ignored", requestId, conversationId);
    }
  }

  private void armTimer() {
    if (timer >= 0) {
      services.vertx().cancelTimer(timer);
    }
    timer =
        services
            .vertx()
            .setTimer(
                services.replyTimeoutMs(),
                t -> {
                  timer = -1;
                  if (!finished) {
                    finish("timeout");
                    writeCancel();
                    listener.onError(
                        ApiError.timeout(
                            "no reply from the processors for "
                                + services.replyTimeoutMs()
                                + " ms (gateway.reply.timeout.ms); the generation was cancelled"));
                  }
                });
  }

  private void writeCancel() {
    services.tracker().recordCancel(conversationId, requestId);
    services
        .publisher()
        .publish(context, conversationId, Events.cancel(requestId))
        .onFailure(
            e ->
                LOG.warn(
                    "could not cancel generation {} of {}: {}",
                    requestId,
                    conversationId,
                    e.getMessage()));
  }

  private void finish(final String outcome) {
    finished = true;
    if (timer >= 0) {
      services.vertx().cancelTimer(timer);
      timer = -1;
    }
    if (registration != null) {
      try {
        registration.close();
      } catch (final Exception e) {
        throw new IllegalStateException(e);
      }
    }
    if (counted) {
      counted = false;
      services.activeGenerations().decrementAndGet();
    }
    services.metrics().generationFinished(outcome);
  }
}
