package io.finchstream.app;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Steady-state greedy decode of a batch of conversations ({@code bench decode}): each conversation
 * ingests a short random prompt, then every step feeds each conversation the argmax of its last
 * logits ({@link LanguageModel#step}). Rounds of {@code tokens} steps are timed until three
 * consecutive rounds agree within 5% (the JIT has compiled the kernels), at most {@link
 * #WARM_UP_SECONDS} s; then {@code rounds} rounds are timed and the median reported.
 */
final class DecodeSpeed {

  /** Upper bound on the warm-up. */
  static final int WARM_UP_SECONDS = 120;

  /** Prompt tokens ingested by each conversation before decoding. */
  static final int PROMPT = 16;

  /** The measurement: per step (one token for every conversation of the batch). */
  record Result(double msPerToken, double tokensPerSecond, int warmUpRounds) {}

  private final LanguageModel model;
  private final int batch;
  private final int tokens;
  private final int rounds;

  DecodeSpeed(final LanguageModel model, final int batch, final int tokens, final int rounds) {
    this.model = model;
    this.batch = batch;
    this.tokens = tokens;
    this.rounds = rounds;
  }

  Result run(final Consumer<String> progress) {
    final int vocab = model.info().vocabSize();
    final SplittableRandom random = new SplittableRandom(42);
    final List<ModelState> states = new ArrayList<>();
    final List<int[]> prompts = new ArrayList<>();
    for (int i = 0; i < batch; i++) {
      states.add(model.newState());
      prompts.add(random.ints(PROMPT, 0, vocab).toArray());
    }
    model.ingest(states, prompts);
    final float[][] logits = new float[batch][vocab];
    model.logits(states, logits);
    final int[] next = new int[batch];
    final long deadline = System.nanoTime() + WARM_UP_SECONDS * 1_000_000_000L;
    double previous = Double.NaN;
    int agreeing = 0;
    int warmUp = 0;
    while (agreeing < 3 && System.nanoTime() < deadline) {
      final double t = round(states, logits, next);
      agreeing = Math.abs(t - previous) <= 0.05 * t ? agreeing + 1 : 0;
      previous = t;
      warmUp++;
      progress.accept(
          String.format(Locale.ROOT, "warm-up round %d: %.2f ms/token", warmUp, t * 1e3));
    }
    final double[] times = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      times[r] = round(states, logits, next);
    }
    Arrays.sort(times);
    final double median =
        rounds % 2 == 1 ? times[rounds / 2] : (times[rounds / 2 - 1] + times[rounds / 2]) / 2;
    return new Result(median * 1e3, batch / median, warmUp);
  }

  // Seconds per step over one round of `tokens` greedy steps.
  private double round(final List<ModelState> states, final float[][] logits, final int[] next) {
    final long start = System.nanoTime();
    for (int k = 0; k < tokens; k++) {
      for (int i = 0; i < batch; i++) {
        next[i] = argmax(logits[i]);
      }
      model.step(states, next, logits);
    }
    return (System.nanoTime() - start) / 1e9 / tokens;
  }

  private static int argmax(final float[] x) {
    int best = 0;
    for (int i = 1; i < x.length; i++) {
      best = x[i] > x[best] ? i : best;
    }
    return best;
  }
}
