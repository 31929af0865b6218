package io.finchstream.gateway.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The gateway's own meters (HTTP requests are timed by the access log): generations by outcome,
 * time to first token, streamed tokens, generations in flight, replies nobody waited for.
 */
public final class GatewayMetrics {

  private final MeterRegistry registry;
  private final Timer firstToken;
  private final Timer replyDelay;
  private final Counter tokens;

  public GatewayMetrics(
      final MeterRegistry registry,
      final AtomicInteger active,
      final AtomicInteger connections,
      final Supplier<Number> unrouted) {
    this.registry = registry;
    this.firstToken =
        Timer.builder("finchstream.gateway.generation.first.token")
            .description("Time from writing a Generate to its first reply")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofMinutes(2))
            .register(registry);
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

  public void firstToken(final long nanos) {
    firstToken.record(Duration.ofNanos(nanos));
  }

  /** A reply reached this gateway {@code millis} after its record timestamp. */
  public void replyDelay(final long millis) {
    replyDelay.record(Duration.ofMillis(Math.max(0, millis)));
  }

  public void tokens(final int count) {
    tokens.increment(count);
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
