package io.finchstream.loadtests.engine;

import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.finch.FinchModel;
import io.finchstream.engine.finch.FinchState;
import java.util.ArrayList;
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
 * Decode: one {@code step} (a token in, the next-token logits out) for {@code batch} conversations
 * at once, on random Finch models with the World vocabulary. Batch 1 is single-stream decode, which
 * should be bound by the weight bytes read per token ({@link RooflineReport} compares it with the
 * read-bandwidth probe); larger batches read the weights once for all conversations.
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
@Warmup(iterations = 3, time = 4)
@Measurement(iterations = 5, time = 4)
public class DecodeBenchmark {

  @Param({"L12-D768", "L24-D2048"})
  String model;

  @Param({"bf16", "fp32"})
  String precision;

  @Param({"1", "8", "64"})
  int batch;

  private FinchModel finch;
  private List<FinchState> states;
  private int[] tokens;
  private float[][] logits;
  private SplittableRandom random;

  @Setup
  public void setup() {
    finch =
        BenchModels.load(
            model,
            WeightPrecision.valueOf(precision.toUpperCase(Locale.ROOT)),
            Runtime.getRuntime().availableProcessors(),
            Math.max(LoadOptions.DEFAULT_MAX_ROWS, batch));
    random = new SplittableRandom(7);
    states = new ArrayList<>();
    final List<int[]> prompts = new ArrayList<>();
    for (int i = 0; i < batch; i++) {
      states.add(finch.newState());
      prompts.add(random.ints(8, 0, BenchModels.VOCAB).toArray());
    }
    finch.ingest(states, prompts);
    tokens = new int[batch];
    logits = new float[batch][BenchModels.VOCAB];
  }

  /** One decode step for every conversation of the batch. */
  @Benchmark
  public float[][] step() {
    for (int i = 0; i < batch; i++) {
      tokens[i] = random.nextInt(BenchModels.VOCAB);
    }
    finch.step(states, tokens, logits);
    return logits;
  }
}
