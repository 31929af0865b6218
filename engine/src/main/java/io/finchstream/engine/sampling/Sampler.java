package io.finchstream.engine.sampling;

import io.finchstream.engine.EngineException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
 *       -= presence_penalty + frequency_penalty · c[t]}. Then <b>logit_bias</b>: {@code l[t] +=
 *       bias[t]} (float). Then the <b>mask</b>, if any ({@link TokenMask}): tokens that may not
 *       come next get {@code l[t] = −∞}.
 *   <li><b>Log probabilities</b> (if asked): {@code logprob[t] = (l[t] − l_max) − log Σ_i exp(l[i]
 *       − l_max)} in double over the finite logits in ascending id order ({@link StrictMath}), i.e.
 *       the log-softmax of the logits after penalties, bias and mask and before temperature and the
 *       filters, as OpenAI defines {@code logprobs}; the top ones are ranked by logit descending,
 *       ties to the lowest id. Computing them never changes the draw. If temperature = 0 (greedy)
 *       the result is the argmax of these logits, ties to the lowest id, and the remaining steps
 *       are skipped.
 *   <li><b>Temperature</b>: {@code z = l / T}, applied in double inside step 5 (dividing by T &gt;
 *       0 keeps the ranking, so step 4 ranks the logits of step 1).
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

  private float[] work = new float[0]; // (V) penalised, biased, masked logits
  private final Ranking ranking = new Ranking();

  /** A sampler with empty scratch buffers. */
  public Sampler() {}

  /**
   * A token with its log probability.
   *
   * @param token the id
   * @param logprob its log probability (natural log, ≤ 0)
   */
  public record Ranked(int token, double logprob) {}

  /**
   * The outcome of one draw.
   *
   * @param token the drawn id
   * @param logprob its log probability when {@link SamplingParams#logprobs()} is set, else NaN
   * @param top the {@link SamplingParams#topLogprobs()} most likely tokens, most likely first
   *     (fewer when fewer tokens are allowed); empty when not asked
   */
  public record Draw(int token, double logprob, List<Ranked> top) {}

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
    return draw(logits, params, generated, null).token();
  }

  /**
   * The next token, restricted by {@code mask} (none if null), with its log probabilities if {@link
   * SamplingParams#logprobs()} asks for them.
   *
   * @param logits (V) the model's output; not modified
   * @param params validated here
   * @param generated the tokens generated so far in this generation (penalties; step index; the
   *     mask's remaining budget is {@code max_tokens − generated.total()})
   * @param mask the tokens that may come next, or null
   * @throws InvalidParameterException if {@code params} is invalid (a {@code logit_bias} id ≥ V
   *     included)
   * @throws EngineException if a logit is NaN or +∞, no logit is finite (also after the mask), or a
   *     generated id is ≥ V
   */
  public Draw draw(
      final float[] logits,
      final SamplingParams params,
      final TokenCounts generated,
      final TokenMask mask) {
    params.validate();
    final int vocab = logits.length;
    if (vocab == 0) {
      throw new EngineException("cannot sample from an empty logits vector");
    }
    if (work.length < vocab) {
      work = new float[vocab];
    }
    penalise(work, logits, params, generated);
    bias(work, params);
    if (mask != null) {
      mask.apply(work, Math.max(1, params.maxTokens() - generated.total()));
      requireFinite(work, vocab);
    }
    final int top = argmax(work, vocab);
    final int token = params.isGreedy() ? top : sampleFrom(top, vocab, params, generated);
    if (!params.logprobs()) {
      return new Draw(token, Double.NaN, List.of());
    }
    final double logSum = logSumExp(work, vocab, work[top]);
    return new Draw(
        token,
        (work[token] - (double) work[top]) - logSum,
        topLogprobs(work, vocab, params.topLogprobs(), work[top], logSum));
  }

  /** Steps 3 to 8 on the penalised, biased, masked logits in {@code work}. */
  private int sampleFrom(
      final int top, final int vocab, final SamplingParams params, final TokenCounts generated) {
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
    return pick(
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

  /** Step 1: {@code out[t] += bias[t]} for every {@code logit_bias} entry (float). */
  static void bias(final float[] out, final SamplingParams params) {
    for (final Map.Entry<Integer, Double> e : params.logitBias().entrySet()) {
      final int t = e.getKey();
      if (t >= out.length) {
        throw new InvalidParameterException(
            "logit_bias", "keyed by token ids in [0, " + (out.length - 1) + "]", t);
      }
      out[t] += e.getValue().floatValue();
    }
  }

  private static void requireFinite(final float[] logits, final int vocab) {
    for (int i = 0; i < vocab; i++) {
      if (logits[i] != Float.NEGATIVE_INFINITY) {
        return;
      }
    }
    throw new EngineException("the token mask allowed no token; the constraint is broken");
  }

  /** Step 2: {@code log Σ_t exp(l[t] − max)} over the finite logits, ascending id order. */
  static double logSumExp(final float[] logits, final int vocab, final double max) {
    double sum = 0;
    for (int id = 0; id < vocab; id++) {
      if (logits[id] != Float.NEGATIVE_INFINITY) {
        sum += StrictMath.exp(logits[id] - max);
      }
    }
    return StrictMath.log(sum);
  }

  /** Step 2: the k best finite logits (logit descending, ties to the lowest id), as logprobs. */
  static List<Ranked> topLogprobs(
      final float[] logits, final int vocab, final int k, final double max, final double logSum) {
    if (k == 0) {
      return List.of();
    }
    final long[] best = new long[k]; // Ranking keys, ascending = best first
    int size = 0;
    for (int id = 0; id < vocab; id++) {
      if (logits[id] == Float.NEGATIVE_INFINITY) {
        continue;
      }
      final long key = Ranking.key(logits[id], id);
      if (size == k && key >= best[k - 1]) {
        continue;
      }
      int at = size == k ? k - 1 : size++;
      while (at > 0 && best[at - 1] > key) {
        best[at] = best[at - 1];
        at--;
      }
      best[at] = key;
    }
    final List<Ranked> top = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      final int id = (int) best[i];
      top.add(new Ranked(id, (logits[id] - max) - logSum));
    }
    return List.copyOf(top);
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

  /** Step 5: the unnormalised probability of a logit. */
  private static double weight(final float logit, final double max, final double temperature) {
    return StrictMath.exp((logit - max) / temperature);
  }

  /** Step 5: W, summed over the candidates in ascending id order. */
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

  /** Step 8: the first of the kept ranks whose running weight exceeds target = u · M. */
  private int pick(
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
