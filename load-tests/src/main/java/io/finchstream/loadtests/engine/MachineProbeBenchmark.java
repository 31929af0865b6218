package io.finchstream.loadtests.engine;

import io.finchstream.engine.kernels.MachineProbe;
import io.finchstream.engine.kernels.Parallel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.DoubleAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The machine's limits, measured in the same run as the engine benchmarks so that those can be
 * reported as ratios ({@link RooflineReport}): streaming read bandwidth over {@value #READ_BYTES}
 * bytes, and register-resident FP32 FMA throughput, on 1 or 2 threads, with the kernels' vector
 * species.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g", "-XX:+UseParallelGC"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class MachineProbeBenchmark {

  /** Bytes read per {@link #readBandwidth} op: 1 GiB, far beyond the caches. */
  static final long READ_BYTES = 1L << 30;

  /**
   * FMA steps per thread per {@link #fmaPeak} op: about 1 GFLOP per thread, short enough that the
   * warmup covers C2's compilation (interpreted Vector API code is orders of magnitude slower).
   */
  static final long FMA_STEPS = 2_000_000L;

  @Param({"1", "2"})
  int threads;

  private float[] data;
  private Parallel parallel;

  @Setup
  public void setup() {
    data = new float[(int) (READ_BYTES / 4)];
    for (int i = 0; i < data.length; i += 1024) {
      data[i] = i;
    }
    parallel = new Parallel(threads);
  }

  /** Reads {@link #READ_BYTES} once, split over the threads. */
  @Benchmark
  public double readBandwidth() {
    final DoubleAdder sum = new DoubleAdder();
    final int chunk = 4 * MachineProbe.lanes();
    final int chunks = data.length / chunk;
    parallel.forRange(
        threads,
        1,
        (a, b) -> {
          for (int part = a; part < b; part++) {
            sum.add(
                MachineProbe.streamSum(
                    data, chunks * part / threads * chunk, chunks * (part + 1) / threads * chunk));
          }
        });
    return sum.sum();
  }

  /** {@link #FMA_STEPS} × 16 chains of vector FMAs on each thread. */
  @Benchmark
  public double fmaPeak() {
    final DoubleAdder sum = new DoubleAdder();
    parallel.forRange(
        threads,
        1,
        (a, b) -> {
          for (int part = a; part < b; part++) {
            sum.add(MachineProbe.fmaChains(FMA_STEPS, part));
          }
        });
    return sum.sum();
  }

  /** Floating-point operations of one {@link #fmaPeak} op. */
  static double fmaFlops(final int threads) {
    return (double) FMA_STEPS * MachineProbe.CHAINS * 2 * MachineProbe.lanes() * threads;
  }
}
