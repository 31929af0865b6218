package io.finchstream.loadtests.engine;

import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.goldfinch.GoldFinchConfig;
import io.finchstream.engine.goldfinch.GoldFinchModel;
import io.finchstream.engine.goldfinch.GoldFinchRandom;
import io.finchstream.engine.goldfinch.GoldFinchState;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.Checkpoints;
import io.finchstream.engine.io.DType;
import io.finchstream.engine.io.LoadProgress;
import io.finchstream.engine.io.safetensors.SafetensorsWriter;
import io.finchstream.engine.kernels.MachineProbe;
import io.finchstream.engine.kernels.Parallel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * GoldFinch generation at long context against the machine's read bandwidth, in one run (issue 16
 * item 3): a random L12-D768 GoldFinch (8 Finch-C2 + 4 GOLD, vocab 65536) is filled to each context
 * length, then generates tokens greedily; each generated token's GOLD attention reads every cached
 * key and value of its 4 GOLD layers. Per context: generation ms/token (median of rounds, each
 * paired with a read-bandwidth probe taken right before it), the attention's bytes per token and
 * the share of the probe's bandwidth they take (the generation time above the shortest context's is
 * the attention's), the conversation's memory (canonical and derived cache), the time to rebuild
 * the dropped derived cache, and the bf16 cache against an fp32 one (max abs logit difference and
 * top-1 agreement over the generated tokens, same weights and tokens).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx14g -XX:+UseParallelGC -cp 'load-tests/target/classes:load-tests/target/lib/*' \
 *   io.finchstream.loadtests.engine.GoldFinchLongContext [contexts=1000,16000,100000] [tokens=16]
 *   [rounds=3] [precision=bf16] [compare=true]
 * </pre>
 */
public final class GoldFinchLongContext {

  private static final int PROBE_FLOATS = 1 << 28;

  /** Keeps the probe's sums alive (the JIT must not drop the reads). */
  @SuppressWarnings("UnusedVariable") // written only: a field write the JIT cannot drop
  private static double blackhole;

  private GoldFinchLongContext() {}

  public static void main(final String[] args) {
    final long[] contexts =
        Arrays.stream(arg(args, "contexts", "1000,16000,100000").split(","))
            .mapToLong(Long::parseLong)
            .toArray();
    final int tokens = Integer.parseInt(arg(args, "tokens", "16"));
    final int rounds = Integer.parseInt(arg(args, "rounds", "3"));
    final WeightPrecision precision = WeightPrecision.ofLabel(arg(args, "precision", "bf16"));
    final boolean compare = Boolean.parseBoolean(arg(args, "compare", "true"));
    final int threads = Runtime.getRuntime().availableProcessors();
    final Path file = modelFile();
    final GoldFinchModel bf16 = load(file, precision, threads, StatePrecision.BF16);
    final GoldFinchModel fp32 =
        compare ? load(file, precision, threads, StatePrecision.FP32) : null;
    final GoldFinchConfig c = bf16.config();
    final Parallel parallel = new Parallel(threads);
    final float[] probe = new float[PROBE_FLOATS];
    for (int i = 0; i < probe.length; i += 1024) {
      probe[i] = i;
    }
    System.out.printf(
        Locale.ROOT,
        "# GoldFinch long context: %s, %s weights, %d threads, %s%n",
        file.getFileName(),
        precision.label(),
        threads,
        Runtime.version());
    System.out.println(
        "| context | generate ms/token | read GB/s (probe) | attention GB/token (bf16) | attention"
            + " ms/token (above shortest) | attention GB/s | of probe | derived cache MB | rest of the"
            + " state MB | rebuild s (per 100k) | bf16 vs fp32 cache: max abs logit diff, top-1 same |");
    System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    final SplittableRandom random = new SplittableRandom(5);
    final GoldFinchState state = bf16.newState();
    final GoldFinchState twin = compare ? fp32.newState() : null;
    long filled = 0;
    double shortest = Double.NaN;
    warmUp(bf16, c.vocab());
    for (final long context : contexts) {
      while (filled < context) {
        final int n = (int) Math.min(4096, context - filled);
        final int[] chunk = random.ints(n, 0, c.vocab()).toArray();
        bf16.ingest(List.of(state), List.of(chunk));
        if (compare) {
          fp32.ingest(List.of(twin), List.of(chunk));
        }
        filled += n;
        System.err.printf(Locale.ROOT, "filled %d of %d tokens%n", filled, context);
      }
      // generate `tokens` greedily from forks (the conversation stays at `context`)
      final double[] ms = new double[rounds];
      final double[] gbs = new double[rounds];
      final float[][] out = new float[1][c.vocab()];
      double worst = 0;
      int same = 0;
      for (int r = 0; r < rounds; r++) {
        gbs[r] = readGbs(parallel, threads, probe);
        final GoldFinchState fork = state.copy();
        bf16.logits(List.of(fork), out);
        final int[] generated = new int[tokens];
        final long t0 = System.nanoTime();
        for (int k = 0; k < tokens; k++) {
          generated[k] = argmax(out[0]);
          bf16.step(List.of(fork), new int[] {generated[k]}, out);
        }
        ms[r] = (System.nanoTime() - t0) / 1e6 / tokens;
        if (compare && r == 0) {
          final GoldFinchState fork32 = twin.copy();
          final float[][] out32 = new float[1][c.vocab()];
          final GoldFinchState again = state.copy();
          final float[][] outAgain = new float[1][c.vocab()];
          bf16.logits(List.of(again), outAgain);
          fp32.logits(List.of(fork32), out32);
          for (int k = 0; k < tokens; k++) {
            worst = Math.max(worst, maxAbs(outAgain[0], out32[0]));
            same += argmax(outAgain[0]) == argmax(out32[0]) ? 1 : 0;
            bf16.step(List.of(again), new int[] {generated[k]}, outAgain);
            fp32.step(List.of(fork32), new int[] {generated[k]}, out32);
          }
        }
      }
      // rebuild: drop the derived cache, time the next logits against a plain one
      final GoldFinchState dropped = state.copy();
      final GoldFinchState plain = state.copy();
      bf16.logits(List.of(plain), out);
      final GoldFinchState plain2 = plain.copy();
      final long p0 = System.nanoTime();
      bf16.logits(List.of(plain2), out);
      final double plainSeconds = (System.nanoTime() - p0) / 1e9;
      final long derivedBytes = dropped.derivedBytes();
      final long memoryBytes = dropped.memoryBytes();
      dropped.dropDerived();
      final long r0 = System.nanoTime();
      bf16.logits(List.of(dropped), out);
      final double rebuildSeconds = (System.nanoTime() - r0) / 1e9 - plainSeconds;
      final double msMedian = median(ms);
      if (Double.isNaN(shortest)) {
        shortest = msMedian;
      }
      final double attentionBytes = (double) c.goldLayers() * context * 2 * c.dim() * 2;
      final double attentionMs = msMedian - shortest;
      final double attentionGbs = attentionMs > 0 ? attentionBytes / (attentionMs / 1e3) / 1e9 : 0;
      System.out.printf(
          Locale.ROOT,
          "| %d | %.1f | %.1f | %.3f | %.1f | %.1f | %s | %.0f | %.1f | %.2f (%.2f) | %s |%n",
          context,
          msMedian,
          median(gbs),
          attentionBytes / 1e9,
          attentionMs,
          attentionGbs,
          attentionMs > 0
              ? String.format(Locale.ROOT, "%.0f%%", 100 * attentionGbs / median(gbs))
              : "",
          derivedBytes / 1e6,
          (memoryBytes - derivedBytes) / 1e6,
          rebuildSeconds,
          rebuildSeconds * 100_000.0 / context,
          compare ? String.format(Locale.ROOT, "%.2e, %d of %d", worst, same, tokens) : "");
      System.out.flush();
    }
  }

  // A few short generations so that C2 has compiled the kernels before the first measurement.
  private static void warmUp(final GoldFinchModel model, final int vocab) {
    final GoldFinchState s = model.newState();
    model.ingest(List.of(s), List.of(new SplittableRandom(1).ints(300, 0, vocab).toArray()));
    final float[][] out = new float[1][vocab];
    final long until = System.nanoTime() + 20_000_000_000L;
    while (System.nanoTime() < until) {
      model.step(List.of(s), new int[] {argmax(out[0])}, out);
    }
  }

  /** The random GoldFinch L12-D768 (vocab 65536, bf16 safetensors), generated once. */
  static Path modelFile() {
    final Path dir =
        Path.of(System.getProperty("finchstream.bench.models", "load-tests/target/bench-models"));
    final Path file = dir.resolve("goldfinch-L12-D768-V65536-seed1-bf16.safetensors");
    if (!Files.exists(file)) {
      try {
        Files.createDirectories(dir);
      } catch (final IOException e) {
        throw new UncheckedIOException(e);
      }
      final GoldFinchConfig config = GoldFinchConfig.standard(12, 768, 64, BenchModels.VOCAB);
      System.err.println("generating random GoldFinch " + config + " into " + file + " (once)");
      SafetensorsWriter.write(
          file,
          GoldFinchRandom.checkpoint(config, 1),
          DType.BF16,
          Map.of("finchstream.generator", "load-tests GoldFinchLongContext"));
    }
    return file;
  }

  private static GoldFinchModel load(
      final Path file,
      final WeightPrecision precision,
      final int threads,
      final StatePrecision cache) {
    try (Checkpoint checkpoint = Checkpoints.open(file, LoadProgress.NONE)) {
      return GoldFinchModel.load(
          checkpoint,
          LoadOptions.defaults()
              .withPrecision(precision)
              .withThreads(threads)
              .withCachePrecision(cache),
          0,
          GoldFinchModel.DEFAULT_CACHE_BLOCK);
    }
  }

  /** Streaming read bandwidth on all threads: the best of 3 passes over 1 GiB. */
  private static double readGbs(final Parallel parallel, final int threads, final float[] data) {
    double best = 0;
    for (int pass = 0; pass < 3; pass++) {
      final DoubleAdder sink = new DoubleAdder();
      final int chunk = 4 * MachineProbe.lanes();
      final int chunks = data.length / chunk;
      final long t0 = System.nanoTime();
      parallel.forRange(
          threads,
          1,
          (from, to) -> {
            for (int part = from; part < to; part++) {
              sink.add(
                  MachineProbe.streamSum(
                      data,
                      (int) ((long) chunks * part / threads) * chunk,
                      (int) ((long) chunks * (part + 1) / threads) * chunk));
            }
          });
      final double s = (System.nanoTime() - t0) / 1e9;
      blackhole += sink.sum();
      best = Math.max(best, 4.0 * data.length / s / 1e9);
    }
    return best;
  }

  private static int argmax(final float[] x) {
    int best = 0;
    for (int i = 1; i < x.length; i++) {
      best = x[i] > x[best] ? i : best;
    }
    return best;
  }

  private static double maxAbs(final float[] a, final float[] b) {
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs((double) a[i] - b[i]));
    }
    return worst;
  }

  private static double median(final double[] values) {
    final double[] sorted = values.clone();
    Arrays.sort(sorted);
    final int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static String arg(final String[] args, final String key, final String fallback) {
    for (final String a : args) {
      if (a.startsWith(key + "=")) {
        return a.substring(key.length() + 1);
      }
    }
    return fallback;
  }
}
