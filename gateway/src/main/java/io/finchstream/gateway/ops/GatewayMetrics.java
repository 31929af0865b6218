package io.finchstream.gateway.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The gateway's own meters (HTTP requests are timed by the access log): generations by outcome, the
 * streaming latencies per API path ({@link Streaming}), streamed tokens, generations in flight,
 * replies nobody waited for.
 */
public final class GatewayMetrics {

  /** The latency goals as histogram buckets, so that "within 20 ms" can be read off directly. */
  private static final Duration[] GOALS = {
    Duration.ofMillis(20), Duration.ofMillis(100), Duration.ofMillis(250)
  };

  /**
   * The streaming latencies of one API path (tag {@code api}), all as histograms:
   *
   * @param firstToken from the request's start (a chat completion's or a Generate's) to the first
   *     token written to its client
   * @param interToken between tokens written to a client, once per token: a token written together
   *     with the one before it (several in one event) counts 0, so bursts show
   * @param tokenDelay from a token's sampling at the processors to its writing to the client
   *     (tokens delivered from the live stream; the processors' and the gateway's clocks)
   * @param commitDelay from a token's writing to the client to the arrival of the committed reply
   *     that contains it: how far the client runs ahead of the record of truth (0 for tokens
   *     delivered at their commit)
   */
  public record Streaming(Timer firstToken, Timer interToken, Timer tokenDelay, Timer commitDelay) {

    /** Records {@code nanos} (clamped at 0) on {@code timer}. */
    public static void record(final Timer timer, final long nanos) {
      timer.record(Duration.ofNanos(Math.max(0, nanos)));
    }
  }

  private final MeterRegistry registry;
  private final Timer replyDelay;
  private final Counter tokens;
  private final Counter liveTokens;
  private final Counter mismatches;
  private final Map<ClientApi, Streaming> streaming = new EnumMap<>(ClientApi.class);

  public GatewayMetrics(
      final MeterRegistry registry,
      final AtomicInteger active,
      final AtomicInteger connections,
      final Supplier<Number> unrouted) {
    this.registry = registry;
    for (final ClientApi api : ClientApi.values()) {
      streaming.put(
          api,
          new Streaming(
              timer(
                  "finchstream.gateway.generation.first.token",
                  "From the start of a generating request to the first token written to its client",
                  api,
                  Duration.ofMinutes(2)),
              timer(
                  "finchstream.gateway.generation.inter.token",
                  "Between tokens written to a client, per token (0 for a token written together"
                      + " with the one before it)",
                  api,
                  Duration.ofMinutes(2)),
              timer(
                  "finchstream.gateway.generation.token.delay",
                  "From a token's sampling at the processors to its writing to the client (live"
                      + " tokens)",
                  api,
                  Duration.ofMinutes(1)),
              timer(
                  "finchstream.gateway.generation.commit.delay",
                  "From a token's writing to the client to the arrival of the committed reply that"
                      + " contains it",
                  api,
                  Duration.ofMinutes(1))));
    }
    this.replyDelay =
        Timer.builder("finchstream.gateway.reply.delay")
            .description(
                "From a reply's record timestamp (the processors' send, inside their transaction) to its routing here:"
                    + " the wait for the transaction's commit plus the fetch")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofMinutes(1))
            .register(registry);
    this.tokens =
        Counter.builder("finchstream.gateway.generation.tokens")
            .description("Generated tokens streamed to clients")
            .register(registry);
    this.liveTokens =
        Counter.builder("finchstream.gateway.generation.live.tokens")
            .description(
                "Generated tokens streamed to clients from the live stream, before their commit")
            .register(registry);
    this.mismatches =
        Counter.builder("finchstream.gateway.generation.live.mismatches")
            .description(
                "Replies whose committed text did not extend what the live stream had shown"
                    + " (should stay 0; each is logged)")
            .register(registry);
    Gauge.builder("finchstream.gateway.generations.active", active, AtomicInteger::get)
        .description("Generations this gateway waits on")
        .register(registry);
    Gauge.builder("finchstream.gateway.connections", connections, AtomicInteger::get)
        .description("HTTP connections open (WebSockets included), at most gateway.max.connections")
        .register(registry);
    Gauge.builder("finchstream.gateway.replies.unrouted", unrouted, s -> s.get().doubleValue())
        .description("Replies addressed to this gateway after their client had gone")
        .register(registry);
  }

  private Timer timer(
      final String name, final String description, final ClientApi api, final Duration max) {
    return Timer.builder(name)
        .description(description)
        .tag("api", api.tag())
        .publishPercentileHistogram()
        .serviceLevelObjectives(GOALS)
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(max)
        .register(registry);
  }

  /** The streaming latency meters of {@code api}. */
  public Streaming streaming(final ClientApi api) {
    return streaming.get(api);
  }

  /** A reply reached this gateway {@code millis} after its record timestamp. */
  public void replyDelay(final long millis) {
    replyDelay.record(Duration.ofMillis(Math.max(0, millis)));
  }

  /** {@code count} tokens written to a client, {@code live} of them from the live stream. */
  public void tokens(final int count, final int live) {
    tokens.increment(count);
    liveTokens.increment(live);
  }

  /** A reply's committed text did not extend what the live stream had shown. */
  public void liveMismatch() {
    mismatches.increment();
  }

  /**
   * Counts a finished generation; {@code outcome} is a finish reason, an error code, or
   * "cancelled".
   */
  public void generationFinished(final String outcome) {
    Counter.builder("finchstream.gateway.generations")
        .description("Generations by outcome")
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }
}
