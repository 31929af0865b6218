package io.finchstream.engine.sampling;

import io.finchstream.engine.EngineException;

/**
 * Picks the next token from a logits vector: deterministic and replayable.
 *
 * <p>The result is a pure function of (logits, params, tokens generated so far): the one random
 * number of step k ({@code k = generated.total()}) is {@code CounterRandom.uniform(seed, k)}, so
 * replaying a generation after a crash, from the same logits, samples the same tokens. All
 * arithmetic is IEEE float/double in a fixed order with {@link StrictMath#exp}, so results are
 * bit-identical on every JVM.
 *
 * <p>Exact order of operations (V = logits.length, l = logits, c[t] = times t was generated):
 *
 * <ol>
 *   <li><b>Penalties</b>, for every generated token t (float arithmetic): repetition first — {@code
 *       l[t] = l[t] > 0 ? l[t] / repetition_penalty : l[t] * repetition_penalty} — then {@code l[t]
 *       -= presence_penalty + frequency_penalty · c[t]}. If temperature = 0 (greedy) the result is
 *       the argmax of the penalised logits, ties to the lowest id, and the remaining steps are
 *       skipped.
 *   <li><b>Temperature</b>: {@code z = l / T}, applied in double inside step 4 (dividing by T &gt;
 *       0 keeps the ranking, so step 3 ranks the penalised logits).
 *   <li><b>Top-k</b>: candidates are ranked by logit descending, ties to the lowest id (tokens with
 *       logit −∞ are never candidates); if top_k &gt; 0 only the first top_k remain.
 *   <li><b>Softmax</b>: {@code w_t = exp((l_t − l_max) / T)} in double (unnormalised; the top token
 *       has w = 1); the mass {@code W = Σ w_t} is summed over the candidates in ascending id order.
 *   <li><b>Top-p</b> (if top_p &lt; 1): walking the ranks, keep the shortest prefix whose running
 *       sum reaches {@code top_p · W} (at least one token).
 *   <li><b>Min-p</b> (if min_p &gt; 0): cut the ranks before the first {@code w < min_p}, i.e. drop
 *       probabilities below min_p times the top one's (the ratio is unchanged by renormalisation).
 *   <li><b>Draw</b>: {@code u = uniform(seed, k)} in [0, 1); the kept mass M is W if nothing was
 *       cut, else the running sum (in rank order) of the kept prefix; walk the kept ranks
 *       accumulating w and return the first whose running sum exceeds {@code u · M}.
 * </ol>
 *
 * <p>Holds scratch buffers (grown to the largest V seen): not thread-safe; use one per thread. It
 * holds no per-generation state, so one sampler can serve many conversations in turn.
 */
public final class Sampler {

  private float[] work = new float[0]; // (V) penalised logits
  private final Ranking ranking = new Ranking();

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
  public int sample(
      final float[] logits, final SamplingParams params, final TokenCounts generated) {
    params.validate();
    final int vocab = logits.length;
    if (vocab == 0) {
      throw new EngineException("cannot sample from an empty logits vector");
    }
    if (work.length < vocab) {
      work = new float[vocab];
    }
    penalise(work, logits, params, generated);
    final int top = argmax(work, vocab);
    if (params.isGreedy()) {
      return top;
    }
    final double max = work[top];
    final double temperature = params.temperature();
    ranking.reset(work, vocab, params.topK());
    final double mass = candidateMass(work, vocab, max, temperature);
    int kept = ranking.size();
    double keptMass = mass;
    if (params.topP() < 1.0 || params.minP() > 0.0) {
      final double nucleus = params.topP() < 1.0 ? params.topP() * mass : Double.POSITIVE_INFINITY;
      double running = 0;
      for (int rank = 0; rank < kept; rank++) {
        final double w = weight(work[ranking.id(rank)], max, temperature);
        if (rank > 0 && w < params.minP()) { // min-p: w_0 = 1, so the threshold is min_p itself
          kept = rank;
          keptMass = running;
          break;
        }
        running += w;
        if (running >= nucleus) { // top-p
          kept = rank + 1;
          keptMass = running;
          break;
        }
      }
    }
    return draw(
        max, temperature, kept, CounterRandom.uniform(params.seed(), generated.total()) * keptMass);
  }

  /** Step 1: out = logits with the repetition, then presence and frequency penalties. */
  static void penalise(
      final float[] out,
      final float[] logits,
      final SamplingParams params,
      final TokenCounts generated) {
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
        throw new EngineException(
            "generated token " + t + " is outside the logits vector of " + vocab);
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

  /** Step 4: the unnormalised probability of a logit. */
  private static double weight(final float logit, final double max, final double temperature) {
    return StrictMath.exp((logit - max) / temperature);
  }

  /** Step 4: W, summed over the candidates in ascending id order. */
  private double candidateMass(
      final float[] logits, final int vocab, final double max, final double temperature) {
    double mass = 0;
    for (int id = 0; id < vocab; id++) {
      if (ranking.isCandidate(logits[id], id)) {
        mass += weight(logits[id], max, temperature);
      }
    }
    return mass;
  }

  /** Step 7: the first of the kept ranks whose running weight exceeds target = u · M. */
  private int draw(
      final double max, final double temperature, final int kept, final double target) {
    double running = 0;
    for (int rank = 0; rank < kept; rank++) {
      final int id = ranking.id(rank);
      running += weight(work[id], max, temperature);
      if (target < running) {
        return id;
      }
    }
    return ranking.id(kept - 1);
  }
}
