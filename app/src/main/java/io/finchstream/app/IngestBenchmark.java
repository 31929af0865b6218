package io.finchstream.app;

import io.finchstream.processors.LoadedModel;
import io.finchstream.proto.v1.AppendTokens;
import io.finchstream.proto.v1.ConversationEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Issue 5 item 3: the cost of ingesting a token must not grow with the conversation's length.
 * Through real Kafka (embedded broker, exactly-once transactions): for each context length, a
 * conversation is filled to that length, then {@code measureTokens} more tokens are appended in
 * events of {@code eventTokens}, and the CPU time and the state bytes written (stores = changelog
 * payload) per appended token are measured until those tokens are computed. Median of repeats.
 */
final class IngestBenchmark {

  /** One context length's result. */
  record Result(
      long context,
      double processorCpuUsPerToken,
      double processCpuUsPerToken,
      double bytesPerToken,
      double wallUsPerToken) {}

  private static final int PREFILL_EVENT_TOKENS = 32_768;

  private final LoadedModel model;
  private final int eventTokens;
  private final int measureTokens;
  private final int repeats;
  private final Map<String, Object> settings;

  IngestBenchmark(
      final LoadedModel model,
      final int eventTokens,
      final int measureTokens,
      final int repeats,
      final Map<String, Object> settings) {
    this.model = model;
    this.eventTokens = eventTokens;
    this.measureTokens = measureTokens;
    this.repeats = repeats;
    this.settings = settings;
  }

  List<Result> run(final long[] contexts, final Consumer<Result> each) throws Exception {
    final List<Result> results = new ArrayList<>();
    try (BenchCluster cluster = new BenchCluster(model, settings)) {
      final Random random = new Random(1);
      for (final long context : contexts) {
        final String conversation = "ingest-" + context;
        append(cluster, conversation, context, PREFILL_EVENT_TOKENS, random);
        append(cluster, conversation, Math.min(measureTokens, 2048), eventTokens, random);
        final double[][] samples = new double[4][repeats];
        for (int r = 0; r < repeats; r++) {
          final double cpu0 = cluster.counter("finchstream.processing.cpu.nanos");
          final long proc0 = BenchCluster.processCpuNanos();
          final double bytes0 = cluster.storeBytes();
          final long t0 = System.nanoTime();
          append(cluster, conversation, measureTokens, eventTokens, random);
          final long wall = System.nanoTime() - t0;
          samples[0][r] =
              (cluster.counter("finchstream.processing.cpu.nanos") - cpu0) / 1e3 / measureTokens;
          samples[1][r] = (BenchCluster.processCpuNanos() - proc0) / 1e3 / measureTokens;
          samples[2][r] = (cluster.storeBytes() - bytes0) / measureTokens;
          samples[3][r] = wall / 1e3 / measureTokens;
        }
        final Result result =
            new Result(
                context,
                median(samples[0]),
                median(samples[1]),
                median(samples[2]),
                median(samples[3]));
        results.add(result);
        each.accept(result);
      }
    }
    return results;
  }

  /**
   * Appends {@code tokens} random tokens in events of {@code perEvent}, and waits until they are
   * computed.
   */
  private void append(
      final BenchCluster cluster,
      final String conversation,
      final long tokens,
      final int perEvent,
      final Random random)
      throws InterruptedException {
    final double target = cluster.counter("finchstream.tokens.computed") + tokens;
    final int vocab = model.info().vocabSize();
    for (long sent = 0; sent < tokens; sent += perEvent) {
      final int n = (int) Math.min(perEvent, tokens - sent);
      final AppendTokens.Builder ids = AppendTokens.newBuilder();
      for (int i = 0; i < n; i++) {
        ids.addIds(1 + random.nextInt(vocab - 1));
      }
      cluster.send(
          conversation,
          ConversationEvent.newBuilder().setSchemaVersion(1).setAppendTokens(ids).build());
    }
    cluster.flush();
    BenchCluster.awaitAtLeast(
        () -> cluster.counter("finchstream.tokens.computed"), target, Duration.ofHours(6));
  }

  static double median(final double[] values) {
    final double[] sorted = values.clone();
    Arrays.sort(sorted);
    final int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
