package io.finchstream.app;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.sampling.Generation;
import io.finchstream.engine.sampling.Sampler;
import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.LoadedModel;
import io.finchstream.proto.v1.AppendTokens;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.Generate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Issue 5 item 4: throughput of the service (many conversations advanced together in batched engine
 * calls, through Kafka with exactly-once) against the raw engine doing the same work with the same
 * batches, in the same run: prefill (ingest) and decode (greedy generation).
 */
final class BatchingBenchmark {

  /**
   * Tokens per second, raw engine and service, for prefill and decode, and where the CPU went in
   * each measured phase ({@link ThreadCpu}).
   */
  record Result(
      double rawPrefill,
      double servicePrefill,
      double rawDecode,
      double serviceDecode,
      Map<String, String> cpu) {}

  private final Map<String, String> cpu = new LinkedHashMap<>();

  private final LoadedModel served;
  private final int conversations;
  private final int prefillTokens;
  private final int generateTokens;
  private final Map<String, Object> settings;

  BatchingBenchmark(
      final LoadedModel served,
      final int conversations,
      final int prefillTokens,
      final int generateTokens,
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
    // Warm the JIT on the raw paths first (one untimed pass each), so neither side pays for
    // compilation in its measurement; the service is warmed by its own first prefill.
    rawPrefill(prompts, batch, chunk);
    ThreadCpu phase = ThreadCpu.start();
    final double rawPrefill = rawPrefill(prompts, batch, chunk);
    cpu.put("raw prefill", phase.report());
    rawDecode(prompts, batch);
    phase = ThreadCpu.start();
    final double rawDecode = rawDecode(prompts, batch);
    cpu.put("raw decode", phase.report());
    try (BenchCluster cluster = new BenchCluster(served, settings)) {
      servicePrefill(cluster, "warm-", prompts);
      phase = ThreadCpu.start();
      final double servicePrefill = servicePrefill(cluster, "p-", prompts);
      cpu.put("service prefill", phase.report());
      phase = ThreadCpu.start();
      final double[] batchesBefore = batches(cluster);
      final double serviceDecode = serviceDecode(cluster, "p-");
      final double[] batchesAfter = batches(cluster);
      final var firstToken =
          cluster.service.metrics().registry().find("finchstream.generation.first.token").timer();
      cpu.put(
          "service decode",
          phase.report()
              + String.format(
                  Locale.ROOT,
                  "; %.1f conversations per engine call; first token after max %.0f ms",
                  (batchesAfter[1] - batchesBefore[1])
                      / Math.max(1, batchesAfter[0] - batchesBefore[0]),
                  firstToken == null ? 0 : firstToken.max(TimeUnit.MILLISECONDS)));
      return new Result(rawPrefill, servicePrefill, rawDecode, serviceDecode, Map.copyOf(cpu));
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

  /**
   * The engine alone: batches of {@code batch} conversations, {@code chunk} tokens each per call.
   */
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
          tokens.add(
              Arrays.copyOfRange(prompts[from + c], off, Math.min(prefillTokens, off + chunk)));
        }
        model.ingest(states, tokens);
      }
    }
    return (double) conversations * prefillTokens / ((System.nanoTime() - t0) / 1e9);
  }

  /**
   * The engine alone: greedy decode of every conversation, batched like the service does: each
   * conversation follows the same rules through the engine's {@link Generation} (it leaves the
   * batch when it ends, e.g. at end-of-text), one {@code logits} call for the first tokens, then
   * one {@code step} per round for the conversations still running.
   */
  private double rawDecode(final int[][] prompts, final int batch) {
    final LanguageModel model = served.model();
    final Sampler sampler = new Sampler();
    final SamplingParams greedy =
        SamplingParams.builder().temperature(0).maxTokens(generateTokens).build();
    long tokens = 0;
    long nanos = 0;
    for (int from = 0; from < conversations; from += batch) {
      final int n = Math.min(batch, conversations - from);
      List<ModelState> states = new ArrayList<>();
      List<Generation> generations = new ArrayList<>();
      for (int c = 0; c < n; c++) {
        final ModelState s = model.newState();
        model.ingest(List.of(s), List.of(prompts[from + c]));
        states.add(s);
        generations.add(new Generation(served.tokenizer(), greedy));
      }
      final float[][] rows = new float[n][model.info().vocabSize()];
      final long t0 = System.nanoTime();
      model.logits(states, rows);
      while (!states.isEmpty()) {
        final List<ModelState> running = new ArrayList<>(states.size());
        final List<Generation> still = new ArrayList<>(states.size());
        final int[] next = new int[states.size()];
        int k = 0;
        for (int c = 0; c < states.size(); c++) {
          final Generation g = generations.get(c);
          final int token = g.sample(sampler, rows[c]);
          g.accept(token);
          tokens++;
          if (!g.ended()) {
            running.add(states.get(c));
            still.add(g);
            next[k++] = token;
          }
        }
        states = running;
        generations = still;
        if (!states.isEmpty()) {
          model.step(states, Arrays.copyOf(next, k), Arrays.copyOf(rows, k));
        }
      }
      nanos += System.nanoTime() - t0;
    }
    return tokens / (nanos / 1e9);
  }

  private double servicePrefill(
      final BenchCluster cluster, final String prefix, final int[][] prompts)
      throws InterruptedException {
    final double target =
        cluster.counter("finchstream.tokens.computed") + (double) conversations * prefillTokens;
    final long t0 = System.nanoTime();
    for (int c = 0; c < conversations; c++) {
      final AppendTokens.Builder ids = AppendTokens.newBuilder();
      for (final int t : prompts[c]) {
        ids.addIds(t);
      }
      cluster.send(
          prefix + c,
          ConversationEvent.newBuilder().setSchemaVersion(1).setAppendTokens(ids).build());
    }
    cluster.flush();
    BenchCluster.awaitAtLeast(
        () -> cluster.counter("finchstream.tokens.computed"), target, Duration.ofHours(6));
    return (double) conversations * prefillTokens / ((System.nanoTime() - t0) / 1e9);
  }

  /** (engine calls, conversations in them) so far in the service. */
  private static double[] batches(final BenchCluster cluster) {
    final var summary =
        cluster.service.metrics().registry().find("finchstream.batch.conversations").summary();
    return summary == null ? new double[2] : new double[] {summary.count(), summary.totalAmount()};
  }

  /**
   * Greedy generations of every conversation at once; measured from sending the requests until the
   * service has sampled every token (the stream thread's work; replies are committed within
   * commit.interval.ms after that). Generations that end early at end-of-text are accounted for.
   */
  private double serviceDecode(final BenchCluster cluster, final String prefix)
      throws InterruptedException {
    final double before = cluster.counter("finchstream.tokens.generated");
    final double doneBefore =
        cluster.service.metrics().registry().find("finchstream.generation.latency").timer() == null
            ? 0
            : cluster
                .service
                .metrics()
                .registry()
                .find("finchstream.generation.latency")
                .timer()
                .count();
    final long t0 = System.nanoTime();
    for (int c = 0; c < conversations; c++) {
      cluster.send(
          prefix + c,
          ConversationEvent.newBuilder()
              .setSchemaVersion(1)
              .setGenerate(
                  Generate.newBuilder()
                      .setRequestId("bench-" + c)
                      .setMaxTokens(generateTokens)
                      .setSampling(
                          io.finchstream.proto.v1.SamplingParams.newBuilder().setTemperature(0)))
              .build());
    }
    cluster.flush();
    BenchCluster.awaitAtLeast(
        () -> {
          final var timer =
              cluster.service.metrics().registry().find("finchstream.generation.latency").timer();
          return timer == null ? 0 : timer.count();
        },
        doneBefore + conversations,
        Duration.ofHours(6));
    final double sampled = cluster.counter("finchstream.tokens.generated") - before;
    return sampled / ((System.nanoTime() - t0) / 1e9);
  }
}
