package io.finchstream.gateway.conversation;

import io.finchstream.gateway.GatewayServices;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.kafka.Events;
import io.finchstream.gateway.kafka.ReplyRouter;
import io.finchstream.gateway.kafka.Written;
import io.finchstream.gateway.ops.ClientApi;
import io.finchstream.gateway.ops.GatewayMetrics;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.LiveToken;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.TokenChunk;
import io.finchstream.proto.v1.TokenLogprobs;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One generation as the gateway sees it: writes the events that come before it (appended messages),
 * then the Generate with this gateway as {@code reply_to}, and passes its tokens to a {@link
 * Listener} on the caller's context, in order, until the GenerationDone or an error.
 *
 * <p>Tokens come from the live stream as soon as they are sampled (when {@code gateway.live.tokens}
 * is on) and from the committed replies; a {@link TokenSequencer} merges the two so that the
 * listener sees each token once, in order, without gaps, and always a prefix of the committed
 * reply. The reply ends only with the committed GenerationDone.
 *
 * <p>If no reply comes for {@code gateway.reply.timeout.ms}, or the caller {@link #cancel}s (the
 * client went away, or read too slowly), a {@code CancelGeneration} is written so that the
 * processors stop spending compute on it; it carries the number of draws shown to the client, so
 * that the reply keeps at least those. Not thread-safe: use it on the context that started it.
 */
public final class GenerationCall {

  private static final Logger LOG = LoggerFactory.getLogger(GenerationCall.class);

  /** Receives a generation's outcome. Exactly one of onDone and onError is called, once. */
  public interface Listener {
    /** Called after the Generate was written (before any reply). */
    default void onAccepted(final Written written) {}

    /**
     * The next piece of the reply: its tokens (one when it comes from the live stream) and their
     * text; {@code index} counts the pieces from 0, without gaps.
     */
    void onChunk(TokenChunk chunk);

    void onDone(GenerationDone done);

    void onError(ApiError error);
  }

  private final GatewayServices services;
  private final Context context;
  private final String conversationId;
  private final String requestId;
  private final Listener listener;
  private final GatewayMetrics.Streaming meters;

  /** Whether tokens come from the live stream (not for logprobs: live tokens carry none). */
  private boolean live;

  private final TokenSequencer sequencer = new TokenSequencer();
  private final long startedAt = System.nanoTime();
  private AutoCloseable registration;
  private long timer = -1;
  private boolean finished;
  private boolean wrote;
  private boolean counted;
  private int pieces;

  /** When the last token was written to the client (nanoTime), or 0 before the first. */
  private long lastTokenAt;

  /** When each token was written to the client (nanoTime), until its commit arrives. */
  private long[] writtenAt = new long[64];

  private GenerationCall(
      final GatewayServices services,
      final Context context,
      final String conversationId,
      final ClientApi api,
      final Listener listener) {
    this.services = services;
    this.context = context;
    this.conversationId = conversationId;
    this.requestId = "gen-" + Events.newId();
    this.listener = listener;
    this.meters = services.metrics().streaming(api);
    this.live = services.liveTokens();
  }

  /**
   * Starts a generation of {@code conversationId}. Must be called on a Vert.x context; the listener
   * is called on it.
   *
   * @param before events to write first, in order (e.g. the new messages of a chat), each with the
   *     request field it comes from
   * @param generate the generation's parameters (request id and reply address are set here)
   * @param api the API path the reply streams through (the tag of its latency meters)
   */
  public static GenerationCall start(
      final GatewayServices services,
      final String conversationId,
      final List<Admission.Item> before,
      final Generate.Builder generate,
      final ClientApi api,
      final Listener listener) {
    final Context context = Vertx.currentContext();
    if (context == null) {
      throw new IllegalStateException("GenerationCall.start must run on a Vert.x context");
    }
    final GenerationCall call =
        new GenerationCall(services, context, conversationId, api, listener);
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
    live = live && !generate.getLogprobs();
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
    registration =
        services
            .router()
            .register(
                conversationId,
                requestId,
                context,
                new ReplyRouter.Receiver() {
                  @Override
                  public void onReply(final Reply reply) {
                    GenerationCall.this.onReply(reply);
                  }

                  @Override
                  public void onLive(final LiveToken token) {
                    GenerationCall.this.onLive(token);
                  }
                });
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

  private void onLive(final LiveToken token) {
    if (finished || !live) {
      return;
    }
    final TokenSequencer.Delivery d = sequencer.live(token);
    if (d != null) {
      armTimer();
      deliver(d, List.of());
    }
  }

  private void onReply(final Reply reply) {
    if (finished) {
      return;
    }
    armTimer();
    switch (reply.getReplyCase()) {
      case CHUNK -> {
        final int before = sequencer.committedTokens();
        final TokenSequencer.Delivery d = sequencer.committed(reply.getChunk());
        if (d != null) {
          deliver(d, reply.getChunk().getLogprobsList());
        }
        committed(before, sequencer.committedTokens());
      }
      case DONE -> {
        final GenerationDone done = reply.getDone();
        if (!sequencer.deliveredAll(done.getText().codePointCount(0, done.getText().length()))) {
          services.metrics().liveMismatch();
          LOG.error(
              "generation {} of {}: the client was shown text that is not the reply's"
                  + " ({} tokens shown, {} in the reply)",
              requestId,
              conversationId,
              sequencer.tokens(),
              done.getUsage().getCompletionTokens());
        }
        finish(
            done.getFinishReason().name().replace("FINISH_REASON_", "").toLowerCase(Locale.ROOT));
        listener.onDone(done);
      }
      case ERROR -> {
        finish(reply.getError().getCode().name().toLowerCase(Locale.ROOT));
        listener.onError(ReplyErrors.toApiError(reply.getError()));
      }
      default -> LOG.warn("reply of {} for {} has no content; ignored", requestId, conversationId);
    }
  }

  /**
   * Writes {@code d} to the listener and times it, with the log probabilities of its tokens (the
   * last entries of {@code logprobs}, those of the chunk it comes from; none from the live stream).
   */
  private void deliver(final TokenSequencer.Delivery d, final List<TokenLogprobs> logprobs) {
    final long now = System.nanoTime();
    final int n = d.tokenCount();
    if (n > 0) {
      if (lastTokenAt == 0) {
        GatewayMetrics.Streaming.record(meters.firstToken(), now - startedAt);
      } else {
        GatewayMetrics.Streaming.record(meters.interToken(), now - lastTokenAt);
      }
      for (int i = 1; i < n; i++) {
        GatewayMetrics.Streaming.record(meters.interToken(), 0);
      }
      lastTokenAt = now;
      if (d.live()) {
        GatewayMetrics.Streaming.record(
            meters.tokenDelay(),
            TimeUnit.MICROSECONDS.toNanos(epochMicros() - d.sampledAtMicros()));
      }
      final int first = sequencer.tokens() - n;
      if (writtenAt.length < first + n) {
        writtenAt = Arrays.copyOf(writtenAt, Math.max(first + n, writtenAt.length * 2));
      }
      Arrays.fill(writtenAt, first, first + n, d.live() ? now : 0);
      services.metrics().tokens(n, d.live() ? n : 0);
    }
    final TokenChunk.Builder chunk = TokenChunk.newBuilder().setIndex(pieces++).setText(d.text());
    for (final int id : d.tokenIds()) {
      chunk.addTokenIds(id);
    }
    if (logprobs.size() >= d.tokenCount()) {
      chunk.addAllLogprobs(logprobs.subList(logprobs.size() - d.tokenCount(), logprobs.size()));
    }
    listener.onChunk(chunk.build());
  }

  /** The commit of tokens [from, to) arrived: how long after their delivery (0: at it). */
  private void committed(final int from, final int to) {
    final long now = System.nanoTime();
    for (int i = from; i < to && i < writtenAt.length; i++) {
      GatewayMetrics.Streaming.record(
          meters.commitDelay(), writtenAt[i] == 0 ? 0 : now - writtenAt[i]);
    }
  }

  private static long epochMicros() {
    final Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
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
        .publish(context, conversationId, Events.cancel(requestId, sequencer.shown()))
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
