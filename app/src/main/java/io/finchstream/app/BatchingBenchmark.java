package io.finchstream.app;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.sampling.Sampler;
import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.engine.sampling.TokenCounts;
import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.ServedModel;
import io.finchstream.proto.v1.AppendTokens;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.Generate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Issue 5 item 4: throughput of the service (many conversations advanced together in batched
 * engine calls, through Kafka with exactly-once) against the raw engine doing the same work with
 * the same batches, in the same run: prefill (ingest) and decode (greedy generation).
 */
final class BatchingBenchmark {

  /** Tokens per second, raw engine and service, for prefill and decode. */
  record Result(double rawPrefill, double servicePrefill, double rawDecode, double serviceDecode) {}

  private final ServedModel served;
  private final int conversations;
  private final int prefillTokens;
  private final int generateTokens;
  private final Map<String, Object> settings;

  BatchingBenchmark(final ServedModel served, final int conversations, final int prefillTokens, final int generateTokens,
      final Map<String, Object> settings) {
    this.served = served;
    this.conversations = conversations;
    this.prefillTokens = prefillTokens;
    this.generateTokens = generateTokens;
    this.settings = settings;
  }

  Result run() throws Exception {
    final FinchstreamConfig config = new FinchstreamConfig(settings);
    final int batch = config.getInt(FinchstreamConfig.BATCH_MAX_CONVERSATIONS_CONFIG);
    final int chunk = config.getInt(FinchstreamConfig.BATCH_MAX_TOKENS_CONFIG);
    final int[][] prompts = prompts();
    // Warm the JIT on the raw path first, so neither side pays for compilation in its measurement.
    rawPrefill(prompts, batch, chunk);
    final double rawPrefill = rawPrefill(prompts, batch, chunk);
    final double rawDecode = rawDecode(prompts, batch);
    try (BenchCluster cluster = new BenchCluster(served, settings)) {
      servicePrefill(cluster, "warm-", prompts);
      final double servicePrefill = servicePrefill(cluster, "p-", prompts);
      final double serviceDecode = serviceDecode(cluster, "p-");
      return new Result(rawPrefill, servicePrefill, rawDecode, serviceDecode);
    }
  }

  private int[][] prompts() {
    final Random random = new Random(2);
    final int[][] prompts = new int[conversations][prefillTokens];
    for (final int[] p : prompts) {
      for (int i = 0; i < p.length; i++) {
        p[i] = 1 + random.nextInt(served.info().vocabSize() - 1);
      }
    }
    return prompts;
  }

  /** The engine alone: batches of {@code batch} conversations, {@code chunk} tokens each per call. */
  private double rawPrefill(final int[][] prompts, final int batch, final int chunk) {
    final LanguageModel model = served.model();
    final long t0 = System.nanoTime();
    for (int from = 0; from < conversations; from += batch) {
      final List<ModelState> states = new ArrayList<>();
      for (int c = from; c < Math.min(conversations, from + batch); c++) {
        states.add(model.newState());
      }
      for (int off = 0; off < prefillTokens; off += chunk) {
        final List<int[]> tokens = new ArrayList<>();
        for (int c = 0; c < states.size(); c++) {
          tokens.add(java.util.Arrays.copyOfRange(prompts[from + c], off, Math.min(prefillTokens, off + chunk)));
        }
        model.ingest(states, tokens);
      }
    }
    return (double) conversations * prefillTokens / ((System.nanoTime() - t0) / 1e9);
  }

  /** The engine alone: greedy decode of every conversation, batched like the service does. */
  private double rawDecode(final int[][] prompts, final int batch) {
    final LanguageModel model = served.model();
    final Sampler sampler = new Sampler();
    final SamplingParams greedy = SamplingParams.builder().temperature(0).maxTokens(generateTokens).build();
    long tokens = 0;
    long nanos = 0;
    for (int from = 0; from < conversations; from += batch) {
      final int n = Math.min(batch, conversations - from);
      final List<ModelState> states = new ArrayList<>();
      for (int c = 0; c < n; c++) {
        final ModelState s = model.newState();
        model.ingest(List.of(s), List.of(prompts[from + c]));
        states.add(s);
      }
      final float[][] logits = new float[n][model.info().vocabSize()];
      final TokenCounts[] counts = new TokenCounts[n];
      final int[] next = new int[n];
      final long t0 = System.nanoTime();
      model.logits(states, logits);
      for (int step = 0; step < generateTokens; step++) {
        for (int c = 0; c < n; c++) {
          if (counts[c] == null) {
            counts[c] = new TokenCounts();
          }
          next[c] = sampler.sample(logits[c], greedy, counts[c]);
          counts[c].add(next[c]);
        }
        model.step(states, next, logits);
        tokens += n;
      }
      nanos += System.nanoTime() - t0;
    }
    return tokens / (nanos / 1e9);
  }

  private double servicePrefill(final BenchCluster cluster, final String prefix, final int[][] prompts) throws InterruptedException {
    final double target = cluster.counter("finchstream.tokens.computed") + (double) conversations * prefillTokens;
    final long t0 = System.nanoTime();
    for (int c = 0; c < conversations; c++) {
      final AppendTokens.Builder ids = AppendTokens.newBuilder();
      for (final int t : prompts[c]) {
        ids.addIds(t);
      }
      cluster.send(prefix + c, ConversationEvent.newBuilder().setSchemaVersion(1).setAppendTokens(ids).build());
    }
    cluster.flush();
    BenchCluster.awaitAtLeast(() -> cluster.counter("finchstream.tokens.computed"), target, Duration.ofHours(6));
    return (double) conversations * prefillTokens / ((System.nanoTime() - t0) / 1e9);
  }

  /**
   * Greedy generations of every conversation at once; measured from sending the requests until the
   * service has sampled every token (the stream thread's work; replies are committed within
   * commit.interval.ms after that). Generations that end early at end-of-text are accounted for.
   */
  private double serviceDecode(final BenchCluster cluster, final String prefix) throws InterruptedException {
    final double before = cluster.counter("finchstream.tokens.generated");
    final double doneBefore = cluster.service.metrics().registry().find("finchstream.generation.latency").timer() == null
        ? 0 : cluster.service.metrics().registry().find("finchstream.generation.latency").timer().count();
    final long t0 = System.nanoTime();
    for (int c = 0; c < conversations; c++) {
      cluster.send(prefix + c, ConversationEvent.newBuilder().setSchemaVersion(1).setGenerate(Generate.newBuilder()
          .setRequestId("bench-" + c).setMaxTokens(generateTokens)
          .setSampling(io.finchstream.proto.v1.SamplingParams.newBuilder().setTemperature(0))).build());
    }
    cluster.flush();
    BenchCluster.awaitAtLeast(() -> {
      final var timer = cluster.service.metrics().registry().find("finchstream.generation.latency").timer();
      return timer == null ? 0 : timer.count();
    }, doneBefore + conversations, Duration.ofHours(6));
    final double sampled = cluster.counter("finchstream.tokens.generated") - before;
    return sampled / ((System.nanoTime() - t0) / 1e9);
  }
}
