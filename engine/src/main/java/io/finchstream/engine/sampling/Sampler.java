package io.finchstream.engine.sampling;

import io.finchstream.engine.EngineException;
import java.util.Arrays;

/**
 * Picks the next token from a logits vector: deterministic and replayable.
 *
 * <p>The result is a pure function of (logits, params, tokens generated so far): the one random number
 * of step k ({@code k = generated.total()}) is {@code CounterRandom.uniform(seed, k)}, so replaying a
 * generation after a crash, from the same logits, samples the same tokens. All arithmetic is IEEE
 * float/double in a fixed order with {@link StrictMath#exp}, so results are bit-identical on every JVM.
 *
 * <p>Exact order of operations (V = logits.length, l = logits, c[t] = times t was generated):
 * <ol>
 *   <li><b>Penalties</b>, for every generated token t (float arithmetic): repetition first —
 *       {@code l[t] = l[t] > 0 ? l[t] / repetition_penalty : l[t] * repetition_penalty} — then
 *       {@code l[t] -= presence_penalty + frequency_penalty · c[t]}.
 *       If temperature = 0 (greedy) the result is the argmax of the penalised logits, ties to the
 *       lowest id, and the remaining steps are skipped.
 *   <li><b>Temperature</b>: {@code z = l / T} (applied in double inside step 4; dividing by T > 0 keeps
 *       the ranking, so step 3 ranks the penalised logits).
 *   <li><b>Top-k</b>: candidates are ranked by logit descending, ties to the lowest id (tokens with
 *       logit −∞ are never candidates); if top_k > 0 only the first top_k remain.
 *   <li><b>Softmax</b> over the candidates: {@code w_i = exp(z_i − z_max)} (double, unnormalised, so
 *       {@code w_0 = 1}); probabilities are {@code w_i / Σw}.
 *   <li><b>Top-p</b> (if top_p &lt; 1): keep the shortest ranked prefix whose cumulative mass reaches
 *       {@code top_p · Σw} (at least one token).
 *   <li><b>Min-p</b> (if min_p &gt; 0): drop candidates with {@code w_i < min_p · w_0}, i.e. probability
 *       below min_p times the most likely one's (the ratio is unchanged by renormalisation).
 *   <li><b>Draw</b>: {@code u = uniform(seed, k)} in [0, 1); walk the kept candidates in rank order
 *       accumulating w and return the first whose running sum exceeds {@code u · Σw_kept}.
 * </ol>
 *
 * <p>Holds scratch buffers (grown to the largest V seen): not thread-safe; use one per thread. It holds
 * no per-generation state, so one sampler can serve many conversations in turn.
 */
public final class Sampler {

  private static final int MAX_SELECT_ROUNDS = 64;

  private float[] work = new float[0]; // (V) penalised logits
  private long[] ranked = new long[0]; // (V) rank keys: descending logit, then ascending id
  private double[] weights = new double[0]; // (V) unnormalised probabilities, in rank order

  /** A sampler with empty scratch buffers. */
  public Sampler() {}

  /**
   * The next token.
   *
   * @param logits (V) the model's output; not modified
   * @param params validated here
   * @param generated the tokens generated so far in this generation (penalties; step index)
   * @throws InvalidParameterException if {@code params} is invalid
   * @throws EngineException if a logit is NaN or +∞, no logit is finite, or a generated id is ≥ V
   */
  public int sample(final float[] logits, final SamplingParams params, final TokenCounts generated) {
    params.validate();
    final int vocab = logits.length;
    ensureCapacity(vocab);
    penalise(work, logits, params, generated);
    if (params.isGreedy()) {
      return argmax(work, vocab);
    }
    int kept = rank(ranked, work, vocab, params.topK());
    softmax(weights, ranked, work, kept, params.temperature());
    if (params.topP() < 1.0) {
      kept = topP(weights, kept, params.topP());
    }
    if (params.minP() > 0.0) {
      kept = minP(weights, kept, params.minP());
    }
    return draw(ranked, weights, kept, CounterRandom.uniform(params.seed(), generated.total()));
  }

  private void ensureCapacity(final int vocab) {
    if (vocab == 0) {
      throw new EngineException("cannot sample from an empty logits vector");
    }
    if (work.length < vocab) {
      work = new float[vocab];
      ranked = new long[vocab];
      weights = new double[vocab];
    }
  }

  /** Step 1: out = logits with the repetition, then presence and frequency penalties. */
  static void penalise(final float[] out, final float[] logits, final SamplingParams params, final TokenCounts generated) {
    final int vocab = logits.length;
    boolean anyFinite = false;
    for (int i = 0; i < vocab; i++) {
      final float l = logits[i];
      if (Float.isNaN(l) || l == Float.POSITIVE_INFINITY) {
        throw new EngineException("logit " + i + " is " + l + "; the model output is broken");
      }
      anyFinite |= l != Float.NEGATIVE_INFINITY;
      out[i] = l;
    }
    if (!anyFinite) {
      throw new EngineException("every logit is -Infinity; there is no token to sample");
    }
    final float repetition = (float) params.repetitionPenalty();
    final float presence = (float) params.presencePenalty();
    final float frequency = (float) params.frequencyPenalty();
    for (int i = 0; i < generated.distinct(); i++) {
      final int t = generated.tokenAt(i);
      if (t >= vocab) {
        throw new EngineException("generated token " + t + " is outside the logits vector of " + vocab);
      }
      float l = out[t];
      l = l > 0 ? l / repetition : l * repetition;
      out[t] = l - (presence + frequency * generated.countAt(i));
    }
  }

  /** Greedy: the first maximum (lowest id among ties). */
  static int argmax(final float[] values, final int vocab) {
    int best = 0;
    for (int i = 1; i < vocab; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }

  /**
   * Steps 2–3: fills keys[0..m) with the finite-logit candidates in rank order, keeping only the best
   * {@code topK} if {@code topK > 0}; returns m.
   */
  static int rank(final long[] keys, final float[] logits, final int vocab, final int topK) {
    int n = 0;
    for (int id = 0; id < vocab; id++) {
      if (logits[id] != Float.NEGATIVE_INFINITY) {
        keys[n++] = rankKey(logits[id], id);
      }
    }
    if (topK > 0 && topK < n) {
      selectSmallest(keys, n, topK);
      n = topK;
    }
    Arrays.sort(keys, 0, n);
    return n;
  }

  /** Sorts ascending as (logit descending, id ascending); -0.0 and 0.0 are the same logit. */
  static long rankKey(final float logit, final int id) {
    final int bits = Float.floatToRawIntBits(logit + 0.0f);
    final int ordered = bits ^ ((bits >> 31) & 0x7FFFFFFF); // signed int order = float order
    return ((long) ~ordered << 32) | id;
  }

  static int rankId(final long key) {
    return (int) key;
  }

  /** Moves the k smallest of keys[0..n) to keys[0..k) (in any order); keys are distinct. */
  private static void selectSmallest(final long[] keys, final int n, final int k) {
    final int target = k - 1;
    int lo = 0;
    int hi = n - 1;
    for (int round = 0; lo < hi; round++) {
      if (round == MAX_SELECT_ROUNDS) {
        Arrays.sort(keys, lo, hi + 1); // pathological pivots: finish by sorting the rest
        return;
      }
      final long pivot = median(keys[lo], keys[(lo + hi) >>> 1], keys[hi]);
      int i = lo;
      int j = hi;
      while (i <= j) {
        while (keys[i] < pivot) {
          i++;
        }
        while (keys[j] > pivot) {
          j--;
        }
        if (i <= j) {
          final long t = keys[i];
          keys[i++] = keys[j];
          keys[j--] = t;
        }
      }
      if (target <= j) {
        hi = j;
      } else if (target >= i) {
        lo = i;
      } else {
        return;
      }
    }
  }

  private static long median(final long a, final long b, final long c) {
    return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
  }

  /** Step 4: weights[i] = exp((z_i − z_0) / T) for the ranked candidates (weights[0] = 1). */
  static void softmax(final double[] weights, final long[] keys, final float[] logits, final int kept,
      final double temperature) {
    final double max = logits[rankId(keys[0])];
    for (int i = 0; i < kept; i++) {
      weights[i] = StrictMath.exp((logits[rankId(keys[i])] - max) / temperature);
    }
  }

  /** Step 5: the shortest prefix with cumulative weight ≥ topP · Σw. */
  static int topP(final double[] weights, final int kept, final double topP) {
    final double threshold = topP * sum(weights, kept);
    double cumulative = 0;
    for (int i = 0; i < kept; i++) {
      cumulative += weights[i];
      if (cumulative >= threshold) {
        return i + 1;
      }
    }
    return kept;
  }

  /** Step 6: the prefix with weight ≥ minP · w_0 (weights are non-increasing). */
  static int minP(final double[] weights, final int kept, final double minP) {
    final double threshold = minP * weights[0];
    int i = 1;
    while (i < kept && weights[i] >= threshold) {
      i++;
    }
    return i;
  }

  /** Step 7: the first candidate whose running weight exceeds u · Σw. */
  static int draw(final long[] keys, final double[] weights, final int kept, final double u) {
    final double target = u * sum(weights, kept);
    double cumulative = 0;
    for (int i = 0; i < kept; i++) {
      cumulative += weights[i];
      if (target < cumulative) {
        return rankId(keys[i]);
      }
    }
    return rankId(keys[kept - 1]);
  }

  private static double sum(final double[] weights, final int count) {
    double total = 0;
    for (int i = 0; i < count; i++) {
      total += weights[i];
    }
    return total;
  }
}
