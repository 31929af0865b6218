package io.finchstream.processors;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The processors' Micrometer meters, shared by every task and thread of an instance (the gateway
 * exposes the registry on /metrics). Names use dots; Prometheus turns them into underscores.
 */
public final class FinchstreamMetrics {

  private final MeterRegistry registry;
  private final Counter tokensIngested;
  private final Counter tokensComputed;
  private final Counter tokensGenerated;
  private final DistributionSummary batchConversations;
  private final DistributionSummary batchTokens;
  private final Timer generationLatency;
  private final Timer firstTokenLatency;
  private final Timer eventDelay;
  private final Counter hotHits;
  private final Counter hotMisses;
  private final Counter hotEvictions;
  private final Counter snapshots;
  private final Counter snapshotBytes;
  private final Counter computeCpuNanos;
  private final Counter engineNanos;
  private final AtomicLong hotBytes = new AtomicLong();
  private final ConcurrentHashMap<String, Counter> byTag = new ConcurrentHashMap<>();

  public FinchstreamMetrics(final MeterRegistry registry) {
    this.registry = registry;
    tokensIngested =
        Counter.builder("finchstream.tokens.ingested")
            .description("Tokens appended to conversations (durable; computed lazily)")
            .register(registry);
    tokensComputed =
        Counter.builder("finchstream.tokens.computed")
            .description(
                "Tokens advanced through the engine by batched ingest (prefill and replay)")
            .register(registry);
    tokensGenerated =
        Counter.builder("finchstream.tokens.generated")
            .description("Tokens sampled by generations")
            .register(registry);
    batchConversations =
        DistributionSummary.builder("finchstream.batch.conversations")
            .description("Conversations per batched engine call")
            .register(registry);
    batchTokens =
        DistributionSummary.builder("finchstream.batch.tokens")
            .description("Tokens per batched engine call")
            .register(registry);
    generationLatency =
        Timer.builder("finchstream.generation.latency")
            .description("From accepting a Generate to its GenerationDone")
            .register(registry);
    firstTokenLatency =
        Timer.builder("finchstream.generation.first.token")
            .description("From accepting a Generate to its first sampled token")
            .register(registry);
    eventDelay =
        Timer.builder("finchstream.event.delay")
            .description("From an event's record timestamp (its producer's send) to its processing")
            .register(registry);
    hotHits =
        Counter.builder("finchstream.hotcache.hits")
            .description("States found hot in memory")
            .register(registry);
    hotMisses =
        Counter.builder("finchstream.hotcache.misses")
            .description("States rebuilt from snapshot + token log")
            .register(registry);
    hotEvictions =
        Counter.builder("finchstream.hotcache.evictions")
            .description("Hot states evicted")
            .register(registry);
    registry.gauge("finchstream.hotcache.bytes", hotBytes);
    snapshots =
        Counter.builder("finchstream.snapshots").description("Snapshots taken").register(registry);
    snapshotBytes =
        Counter.builder("finchstream.snapshot.bytes")
            .description("Bytes of snapshots written")
            .register(registry);
    engineNanos =
        Counter.builder("finchstream.engine.nanos")
            .description("Wall time spent inside batched engine calls (ingest, logits, step)")
            .register(registry);
    computeCpuNanos =
        Counter.builder("finchstream.processing.cpu.nanos")
            .description(
                "CPU time of the stream threads inside Finchstream's processors and punctuators")
            .register(registry);
  }

  /** Meters into a private registry (tests, tools). */
  public static FinchstreamMetrics simple() {
    return new FinchstreamMetrics(new SimpleMeterRegistry());
  }

  public MeterRegistry registry() {
    return registry;
  }

  public void tokensIngested(final long n) {
    tokensIngested.increment((double) n);
  }

  public void tokensComputed(final long n) {
    tokensComputed.increment((double) n);
  }

  public void tokensGenerated(final long n) {
    tokensGenerated.increment((double) n);
  }

  public void batch(final int conversations, final long tokens) {
    batchConversations.record(conversations);
    batchTokens.record((double) tokens);
  }

  public void generationFinished(final long latencyMs) {
    generationLatency.record(Math.max(0, latencyMs), TimeUnit.MILLISECONDS);
  }

  public void firstToken(final long latencyMs) {
    firstTokenLatency.record(Math.max(0, latencyMs), TimeUnit.MILLISECONDS);
  }

  /** An event was processed {@code delayMs} after its record timestamp. */
  public void eventDelay(final long delayMs) {
    eventDelay.record(Math.max(0, delayMs), TimeUnit.MILLISECONDS);
  }

  public void hotHit() {
    hotHits.increment();
  }

  public void hotMiss() {
    hotMisses.increment();
  }

  public void hotEviction() {
    hotEvictions.increment();
  }

  public void hotBytes(final long delta) {
    hotBytes.addAndGet(delta);
  }

  public void snapshot(final long bytes) {
    snapshots.increment();
    snapshotBytes.increment((double) bytes);
  }

  public void engineTime(final long nanos) {
    engineNanos.increment((double) nanos);
  }

  public void processingCpu(final long nanos) {
    computeCpuNanos.increment((double) nanos);
  }

  /** Bytes written to store {@code store} (and so to its changelog). */
  public void storeBytes(final String store, final long bytes) {
    counter(
            "finchstream.store.bytes.written",
            "store",
            store,
            "Bytes written to a state store and its changelog")
        .increment((double) bytes);
  }

  /** An event dead-lettered with {@code code}. */
  public void deadLetter(final String code) {
    counter(
            "finchstream.dlq",
            "code",
            code.toLowerCase(Locale.ROOT),
            "Events sent to the dead-letter topic")
        .increment();
  }

  /** An event of {@code type} applied. */
  public void event(final String type) {
    counter("finchstream.events", "type", type, "Events applied, by type").increment();
  }

  private Counter counter(
      final String name, final String tag, final String value, final String description) {
    return byTag.computeIfAbsent(
        name + '\u0000' + value,
        k -> Counter.builder(name).tag(tag, value).description(description).register(registry));
  }

  /** Total of a counter (tests, benchmarks); 0 if it was never registered. */
  public double count(final String name, final String... tags) {
    final var c = registry.find(name).tags(tags).counters();
    return c.stream().mapToDouble(Counter::count).sum();
  }
}
