package io.finchstream.loadtests.engine;

import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.finch.FinchModel;
import io.finchstream.engine.finch.FinchState;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * Chunked prefill: one conversation ingests a {@value #PROMPT}-token prompt, pushed through the
 * layers in chunks of {@code chunk} rows (every projection one batched matmul per chunk, the WKV
 * token by token, no head). Compute-bound: {@link RooflineReport} compares it with the FMA probe.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "--add-modules",
      "jdk.incubator.vector",
      "-Xmx14g",
      "-XX:+UseParallelGC",
      "-Xss4m"
    })
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
public class PrefillBenchmark {

  /** Prompt tokens per op. */
  static final int PROMPT = 256;

  @Param({"L12-D768", "L24-D2048"})
  String model;

  @Param({"bf16", "fp32"})
  String precision;

  @Param({"16", "64"})
  int chunk;

  private FinchModel finch;
  private FinchState state;
  private int[] prompt;

  @Setup
  public void setup() {
    finch =
        BenchModels.load(
            model,
            WeightPrecision.valueOf(precision.toUpperCase(Locale.ROOT)),
            Runtime.getRuntime().availableProcessors(),
            chunk);
    state = finch.newState();
    prompt = new SplittableRandom(3).ints(PROMPT, 0, BenchModels.VOCAB).toArray();
  }

  /** Ingests the prompt (the state keeps growing; a Finch step costs the same at any position). */
  @Benchmark
  public FinchState ingest() {
    finch.ingest(List.of(state), List.of(prompt));
    return state;
  }
}
