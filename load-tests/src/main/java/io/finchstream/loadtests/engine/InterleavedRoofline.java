package io.finchstream.loadtests.engine;

import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.finch.FinchModel;
import io.finchstream.engine.finch.FinchState;
import io.finchstream.engine.kernels.MachineProbe;
import io.finchstream.engine.kernels.Parallel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * The engine against the machine's roofline with the baseline <em>interleaved</em>: every timed
 * round of an engine operation is preceded by both probes (streaming read bandwidth and FP32 FMA
 * throughput), in the same process, seconds apart, on the same threads, and judged against the
 * roofline they give for its arithmetic intensity: min(FMA peak, bandwidth × flops per weight
 * byte). On a shared VM the host's memory bandwidth drifts by tens of percent over minutes, so a
 * probe measured minutes away (as in {@link RooflineReport}'s JMH run) can put a bandwidth-bound
 * kernel above 100%; pairing each round with its own probe cancels that drift. The medians over the
 * rounds are reported.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx14g -XX:+UseParallelGC -cp 'load-tests/target/classes:load-tests/target/lib/*' \
 *   io.finchstream.loadtests.engine.InterleavedRoofline [models=L12-D768,L24-D2048] [precisions=bf16,fp32,int8]
 *   [batches=1,8,64] [chunk=64] [rounds=5] [seconds=3]
 * </pre>
 */
public final class InterleavedRoofline {

  /** Bytes the bandwidth probe reads per pass: 1 GiB, far beyond the caches. */
  private static final int PROBE_FLOATS = 1 << 28;

  /** FMA steps per thread of one FMA probe (about 1 GFLOP per thread). */
  private static final long FMA_STEPS = 2_000_000L;

  private final Parallel parallel;
  private final int threads;
  private final float[] probeData = new float[PROBE_FLOATS];
  private final int rounds;
  private final double seconds;

  /** Keeps the probes' results alive (the JIT must not drop the reads). */
  @SuppressWarnings("UnusedVariable") // written only: a field write the JIT cannot drop
  private double blackhole;

  private InterleavedRoofline(final int threads, final int rounds, final double seconds) {
    this.threads = threads;
    this.parallel = new Parallel(threads);
    this.rounds = rounds;
    this.seconds = seconds;
    for (int i = 0; i < probeData.length; i += 1024) {
      probeData[i] = i;
    }
  }

  /** One engine operation and what it does per call: weight bytes read and flops. */
  private record Op(
      String label,
      Runnable body,
      double tokensPerCall,
      double bytesPerCall,
      double flopsPerCall) {}

  public static void main(final String[] args) {
    final Args a = new Args(args);
    final int threads = Runtime.getRuntime().availableProcessors();
    final InterleavedRoofline harness =
        new InterleavedRoofline(threads, a.integer("rounds", 5), a.decimal("seconds", 3));
    System.out.printf(
        Locale.ROOT,
        "# interleaved roofline: %d threads, %d rounds of %.1f s, %s%n",
        threads,
        harness.rounds,
        harness.seconds,
        Runtime.version());
    System.out.println(
        "| operation | model | weights | tokens/s | read GB/s | FMA GFLOP/s | flop/byte | bound | achieved GFLOP/s"
            + " | of roofline: median [min, max] |");
    System.out.println("|---|---|---|---:|---:|---:|---:|---|---:|---:|");
    for (final String model : a.list("models", "L12-D768,L24-D2048")) {
      for (final String precision : a.list("precisions", "bf16,fp32")) {
        harness.runModel(
            model,
            WeightPrecision.valueOf(precision.toUpperCase(Locale.ROOT)),
            a.list("batches", "1,8,64").stream().mapToInt(Integer::parseInt).toArray(),
            a.integer("chunk", 64));
      }
    }
  }

  private void runModel(
      final String name, final WeightPrecision precision, final int[] batches, final int chunk) {
    final int maxRows = Math.max(chunk, Arrays.stream(batches).max().orElse(1));
    final FinchModel finch = BenchModels.load(name, precision, threads, maxRows);
    final double decodeBytes = BenchModels.bytesPerDecodedToken(name, precision);
    final double decodeFlops = BenchModels.flopsPerDecodedToken(name);
    for (final int batch : batches) {
      final List<FinchState> states = new ArrayList<>();
      final List<int[]> prompts = new ArrayList<>();
      final SplittableRandom random = new SplittableRandom(7);
      for (int i = 0; i < batch; i++) {
        states.add(finch.newState());
        prompts.add(random.ints(8, 0, BenchModels.VOCAB).toArray());
      }
      finch.ingest(states, prompts);
      final int[] tokens = new int[batch];
      final float[][] logits = new float[batch][BenchModels.VOCAB];
      final Runnable step =
          () -> {
            for (int i = 0; i < batch; i++) {
              tokens[i] = random.nextInt(BenchModels.VOCAB);
            }
            finch.step(states, tokens, logits);
          };
      // one step reads the weights once for the whole batch
      print(
          name,
          precision,
          measure(new Op("decode, batch " + batch, step, batch, decodeBytes, decodeFlops * batch)));
    }
    final FinchState state = finch.newState();
    final int[] prompt =
        new SplittableRandom(3).ints(PrefillBenchmark.PROMPT, 0, BenchModels.VOCAB).toArray();
    final Runnable ingest = () -> finch.ingest(List.of(state), List.of(prompt));
    // a prefill call reads the weights once per chunk of rows
    final double prefillBytes = decodeBytes * Math.ceil((double) PrefillBenchmark.PROMPT / chunk);
    print(
        name,
        precision,
        measure(
            new Op(
                "prefill, chunk " + chunk,
                ingest,
                PrefillBenchmark.PROMPT,
                prefillBytes,
                BenchModels.flopsPerPrefilledToken(name) * PrefillBenchmark.PROMPT)));
  }

  /**
   * Medians over the rounds. The roofline of a round: attainable GFLOP/s = min(FMA peak, read
   * bandwidth × flops per byte of the operation), both probes measured right before the round; the
   * ratio is achieved GFLOP/s over that. For single-stream decode (about 1 flop per weight byte)
   * this is the bandwidth ratio; for prefill and large batches, the FMA ratio.
   */
  @SuppressWarnings("ArrayRecordComponent") // read by index, never compared or hashed
  private record Result(
      Op op,
      double tokensPerSecond,
      double readGbs,
      double fmaGflops,
      double achievedGflops,
      boolean bandwidthBound,
      double[] ratios) {}

  private Result measure(final Op op) {
    warmUp(op.body());
    for (int i = 0; i < 2; i++) {
      readGbs();
      fmaGflops();
    }
    final double intensity = op.flopsPerCall() / op.bytesPerCall();
    final double[] read = new double[rounds];
    final double[] fma = new double[rounds];
    final double[] achieved = new double[rounds];
    final double[] ratio = new double[rounds];
    final double[] tokensPerSecond = new double[rounds];
    int bandwidthBoundRounds = 0;
    for (int r = 0; r < rounds; r++) {
      read[r] = readGbs();
      fma[r] = fmaGflops();
      final double secondsPerCall = time(op.body(), seconds);
      tokensPerSecond[r] = op.tokensPerCall() / secondsPerCall;
      achieved[r] = op.flopsPerCall() / secondsPerCall / 1e9;
      final double attainable = Math.min(fma[r], read[r] * intensity);
      bandwidthBoundRounds += read[r] * intensity < fma[r] ? 1 : 0;
      ratio[r] = achieved[r] / attainable;
    }
    return new Result(
        op,
        median(tokensPerSecond),
        median(read),
        median(fma),
        median(achieved),
        2 * bandwidthBoundRounds > rounds,
        ratio);
  }

  private static void print(final String model, final WeightPrecision precision, final Result r) {
    final double[] sorted = r.ratios().clone();
    Arrays.sort(sorted);
    final double intensity = r.op().flopsPerCall() / r.op().bytesPerCall();
    System.out.printf(
        Locale.ROOT,
        "| %s | %s | %s | %.1f | %.1f | %.0f | %.1f | %s | %.1f | **%.0f%%** [%.0f%%, %.0f%%] |%n",
        r.op().label(),
        model,
        precision.name().toLowerCase(Locale.ROOT),
        r.tokensPerSecond(),
        r.readGbs(),
        r.fmaGflops(),
        intensity,
        r.bandwidthBound() ? "bandwidth" : "FMA",
        r.achievedGflops(),
        100 * median(r.ratios()),
        100 * sorted[0],
        100 * sorted[sorted.length - 1]);
    System.out.flush();
  }

  /**
   * Runs {@code body} until three consecutive timings agree within 5% (C2 has compiled it), at most
   * 60 s.
   */
  private static void warmUp(final Runnable body) {
    final long deadline = System.nanoTime() + 60_000_000_000L;
    double previous = Double.NaN;
    int agreeing = 0;
    while (agreeing < 3 && System.nanoTime() < deadline) {
      final double t = time(body, 1.0);
      agreeing = Math.abs(t - previous) <= 0.05 * t ? agreeing + 1 : 0;
      previous = t;
    }
  }

  /**
   * Seconds per call of {@code body}, calling it for at least {@code seconds} (and at least twice).
   */
  private static double time(final Runnable body, final double seconds) {
    final long start = System.nanoTime();
    final long until = start + (long) (seconds * 1e9);
    int calls = 0;
    long now;
    do {
      body.run();
      calls++;
      now = System.nanoTime();
    } while (now < until || calls < 2);
    return (now - start) / 1e9 / calls;
  }

  /** Streaming read bandwidth on all threads: the best of 3 passes over 1 GiB. */
  private double readGbs() {
    double best = 0;
    for (int pass = 0; pass < 3; pass++) {
      final DoubleAdder sink = new DoubleAdder();
      final int chunk = 4 * MachineProbe.lanes();
      final int chunks = probeData.length / chunk;
      final long t0 = System.nanoTime();
      parallel.forRange(
          threads,
          1,
          (from, to) -> {
            for (int part = from; part < to; part++) {
              sink.add(
                  MachineProbe.streamSum(
                      probeData,
                      (int) ((long) chunks * part / threads) * chunk,
                      (int) ((long) chunks * (part + 1) / threads) * chunk));
            }
          });
      final double s = (System.nanoTime() - t0) / 1e9;
      blackhole += sink.sum();
      best = Math.max(best, 4.0 * probeData.length / s / 1e9);
    }
    return best;
  }

  /** Register-resident FP32 FMA throughput on all threads: the best of 3 runs. */
  private double fmaGflops() {
    double best = 0;
    for (int pass = 0; pass < 3; pass++) {
      final DoubleAdder sink = new DoubleAdder();
      final long t0 = System.nanoTime();
      parallel.forRange(
          threads,
          1,
          (from, to) -> {
            for (int part = from; part < to; part++) {
              sink.add(MachineProbe.fmaChains(FMA_STEPS, part));
            }
          });
      final double s = (System.nanoTime() - t0) / 1e9;
      blackhole += sink.sum();
      best =
          Math.max(
              best,
              (double) FMA_STEPS
                  * MachineProbe.CHAINS
                  * 2
                  * MachineProbe.lanes()
                  * threads
                  / s
                  / 1e9);
    }
    return best;
  }

  private static double median(final double[] values) {
    final double[] sorted = values.clone();
    Arrays.sort(sorted);
    final int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** {@code key=value} arguments. */
  @SuppressWarnings("ArrayRecordComponent") // read by index, never compared or hashed
  private record Args(String[] raw) {

    String value(final String key) {
      for (final String arg : raw) {
        if (arg.startsWith(key + "=")) {
          return arg.substring(key.length() + 1);
        }
      }
      return null;
    }

    List<String> list(final String key, final String fallback) {
      final String v = value(key);
      return List.of((v == null ? fallback : v).split(","));
    }

    int integer(final String key, final int fallback) {
      final String v = value(key);
      return v == null ? fallback : Integer.parseInt(v);
    }

    double decimal(final String key, final double fallback) {
      final String v = value(key);
      return v == null ? fallback : Double.parseDouble(v);
    }
  }
}
