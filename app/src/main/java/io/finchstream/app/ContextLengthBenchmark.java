package io.finchstream.app;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;

/**
 * Cost per token against context length, through {@link LanguageModel} only. For each context
 * length N (ascending; one conversation grows from one to the next by ingesting deterministic
 * pseudo-random tokens in prompt-sized chunks):
 *
 * <ul>
 *   <li><b>ingest</b>: a fork of the conversation ingests {@code ingestTokens} more tokens, one
 *       call per token (each token arriving as its own event); time per token.
 *   <li><b>generate</b>: a fork computes its logits (not timed), then decodes {@code
 *       generateTokens} tokens with {@code step}; time per token.
 * </ul>
 *
 * Each measurement is repeated {@code repeats} times on fresh forks; the median is reported. A
 * warm-up on a throwaway conversation runs first, until the timings settle.
 */
final class ContextLengthBenchmark {

  /** One context length's result. */
  record Result(long context, double ingestUsPerToken, double generateUsPerToken) {}

  private static final int FILL_CHUNK = 512;
  private static final int MAX_WARMUP_ROUNDS = 12;

  private final LanguageModel model;
  private final int ingestTokens;
  private final int generateTokens;
  private final int repeats;
  private final SplittableRandom random = new SplittableRandom(20240717);

  ContextLengthBenchmark(
      final LanguageModel model,
      final int ingestTokens,
      final int generateTokens,
      final int repeats) {
    this.model = model;
    this.ingestTokens = ingestTokens;
    this.generateTokens = generateTokens;
    this.repeats = repeats;
  }

  /** Measures every context (sorted ascending), reporting each result as soon as it is known. */
  List<Result> run(
      final long[] contexts, final Consumer<Result> onResult, final Consumer<String> progress) {
    final long[] sorted = contexts.clone();
    Arrays.sort(sorted);
    warmUp(progress);
    final ModelState conversation = model.newState();
    final List<Result> results = new ArrayList<>();
    for (final long context : sorted) {
      progress.accept("filling the context to " + context + " tokens");
      while (conversation.position() < context) {
        final int n = (int) Math.min(FILL_CHUNK, context - conversation.position());
        model.ingest(List.of(conversation), List.of(tokens(n)));
      }
      progress.accept("measuring at " + context + " tokens");
      final Result r =
          new Result(
              context, median(() -> ingest(conversation)), median(() -> generate(conversation)));
      results.add(r);
      onResult.accept(r);
    }
    return results;
  }

  /**
   * Runs the measured code paths on a throwaway conversation until the JIT has compiled them: at
   * least 3 rounds, then until a round is within 10% of the one before (at most 12 rounds).
   */
  private void warmUp(final Consumer<String> progress) {
    progress.accept("warming up");
    final ModelState state = model.newState();
    model.ingest(List.of(state), List.of(tokens(64)));
    double previous = Double.NaN;
    for (int round = 0; round < MAX_WARMUP_ROUNDS; round++) {
      final double cost = ingest(state) + generate(state);
      if (round >= 2 && Math.abs(cost - previous) <= 0.1 * previous) {
        return;
      }
      previous = cost;
    }
  }

  /** µs per token of ingesting {@code ingestTokens} tokens, one call each, into a fork. */
  private double ingest(final ModelState conversation) {
    final ModelState fork = conversation.copy();
    final int[][] next = new int[ingestTokens][];
    for (int i = 0; i < ingestTokens; i++) {
      next[i] = tokens(1);
    }
    final long start = System.nanoTime();
    for (final int[] token : next) {
      model.ingest(List.of(fork), List.of(token));
    }
    return (System.nanoTime() - start) / 1e3 / ingestTokens;
  }

  /**
   * µs per token of decoding {@code generateTokens} tokens from a fork whose logits are current.
   */
  private double generate(final ModelState conversation) {
    final ModelState fork = conversation.copy();
    final float[][] out = new float[1][model.info().vocabSize()];
    model.logits(List.of(fork), out);
    final int[] next = tokens(generateTokens);
    final long start = System.nanoTime();
    for (final int token : next) {
      model.step(List.of(fork), new int[] {token}, out);
    }
    return (System.nanoTime() - start) / 1e3 / generateTokens;
  }

  private double median(final DoubleSupplier measurement) {
    final double[] values = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      values[i] = measurement.getAsDouble();
    }
    Arrays.sort(values);
    return repeats % 2 == 1
        ? values[repeats / 2]
        : (values[repeats / 2 - 1] + values[repeats / 2]) / 2;
  }

  private int[] tokens(final int n) {
    final int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = random.nextInt(model.info().vocabSize());
    }
    return out;
  }
}
