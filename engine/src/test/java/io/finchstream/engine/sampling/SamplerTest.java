package io.finchstream.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.finchstream.engine.EngineException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SamplerTest {

  private static final float[] FOUR = logOf(0.5, 0.25, 0.15, 0.1);

  private static float[] logOf(final double... probabilities) {
    final float[] logits = new float[probabilities.length];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) Math.log(probabilities[i]);
    }
    return logits;
  }

  private static float[] randomLogits(final Random random, final int vocab) {
    final float[] logits = new float[vocab];
    for (int i = 0; i < vocab; i++) {
      logits[i] = (float) (random.nextGaussian() * 3);
    }
    return logits;
  }

  /** Runs a generation over a fixed logits history (step k sees history[k]). */
  private static int[] generate(final SamplingParams params, final float[][] history) {
    final Sampler sampler = new Sampler();
    final TokenCounts generated = new TokenCounts();
    final int[] tokens = new int[history.length];
    for (int k = 0; k < history.length; k++) {
      tokens[k] = sampler.sample(history[k], params, generated);
      generated.add(tokens[k]);
    }
    return tokens;
  }

  private static float[][] history(final long seed, final int steps, final int vocab) {
    final Random random = new Random(seed);
    final float[][] history = new float[steps][];
    for (int k = 0; k < steps; k++) {
      history[k] = randomLogits(random, vocab);
    }
    return history;
  }

  /** Frequencies of n draws from fixed logits (penalties off, so only the step index changes). */
  private static double[] frequencies(
      final float[] logits, final SamplingParams params, final int n) {
    final Sampler sampler = new Sampler();
    final TokenCounts generated = new TokenCounts();
    final double[] freq = new double[logits.length];
    for (int i = 0; i < n; i++) {
      final int token = sampler.sample(logits, params, generated);
      generated.add(token);
      freq[token] += 1.0 / n;
    }
    return freq;
  }

  @Test
  void shouldPickTheArgmaxWhenGreedyWithTiesToTheLowestId() {
    final SamplingParams greedy = SamplingParams.builder().temperature(0).build();
    final Sampler sampler = new Sampler();
    assertThat(sampler.sample(new float[] {0.1f, 2.5f, -1f, 2.4f}, greedy, new TokenCounts()))
        .isEqualTo(1);
    assertThat(sampler.sample(new float[] {1f, 3f, 3f, 3f}, greedy, new TokenCounts()))
        .isEqualTo(1);
    assertThat(sampler.sample(new float[] {-0.0f, 0.0f}, greedy, new TokenCounts())).isZero();
    final float[][] history = history(5, 30, 1000);
    final int[] tokens = generate(greedy.toBuilder().seed(99).build(), history);
    for (int k = 0; k < history.length; k++) {
      assertThat(tokens[k]).isEqualTo(argmaxByStream(history[k]));
    }
  }

  private static int argmaxByStream(final float[] logits) {
    int best = 0;
    for (int i = 0; i < logits.length; i++) {
      best = logits[i] > logits[best] ? i : best;
    }
    return best;
  }

  @Test
  void shouldRepeatTheSameTokensForTheSameSeed() {
    final SamplingParams params =
        SamplingParams.builder()
            .temperature(1.3)
            .topP(0.95)
            .topK(50)
            .repetitionPenalty(1.2)
            .frequencyPenalty(0.3)
            .seed(1234)
            .build();
    final float[][] history = history(8, 200, 2000);
    assertThat(generate(params, history)).containsExactly(generate(params, history));
  }

  @Test
  void shouldDrawDifferentTokensForDifferentSeeds() {
    final float[][] history = history(8, 200, 2000);
    final int[] a = generate(SamplingParams.builder().temperature(2).seed(1).build(), history);
    final int[] b = generate(SamplingParams.builder().temperature(2).seed(2).build(), history);
    int same = 0;
    for (int k = 0; k < a.length; k++) {
      same += a[k] == b[k] ? 1 : 0;
    }
    assertThat(same).isLessThan(a.length / 2);
  }

  @Test
  void shouldReplayAGenerationAfterACrashFromTheTokensSoFar() {
    final SamplingParams params =
        SamplingParams.builder()
            .temperature(1.1)
            .topP(0.9)
            .presencePenalty(0.4)
            .repetitionPenalty(1.1)
            .seed(-77)
            .build();
    final float[][] history = history(21, 60, 500);
    final int[] full = generate(params, history);
    // "crash" after 23 tokens: a fresh sampler and counts rebuilt from the persisted tokens
    final int crashAt = 23;
    final Sampler fresh = new Sampler();
    final TokenCounts rebuilt = TokenCounts.of(Arrays.copyOf(full, crashAt));
    for (int k = crashAt; k < history.length; k++) {
      final int token = fresh.sample(history[k], params, rebuilt);
      assertThat(token).as("step %d", k).isEqualTo(full[k]);
      rebuilt.add(token);
    }
  }

  @Test
  void shouldBehaveLikeGreedyWithTopK1() {
    final float[][] history = history(3, 100, 3000);
    final int[] topK1 =
        generate(SamplingParams.builder().temperature(1.7).topK(1).seed(5).build(), history);
    final int[] greedy = generate(SamplingParams.builder().temperature(0).build(), history);
    assertThat(topK1).containsExactly(greedy);
  }

  @Test
  void shouldDrawAKnownDistributionWithTheRightFrequencies() {
    final double[] freq = frequencies(FOUR, SamplingParams.builder().seed(2024).build(), 100_000);
    // std of a frequency is at most sqrt(0.25 / 1e5) = 0.0016; 0.008 is five of them
    assertThat(freq[0]).isCloseTo(0.5, within(0.008));
    assertThat(freq[1]).isCloseTo(0.25, within(0.008));
    assertThat(freq[2]).isCloseTo(0.15, within(0.008));
    assertThat(freq[3]).isCloseTo(0.1, within(0.008));
  }

  @Test
  void shouldSharpenWithTemperature() {
    // T = 0.5 squares the probabilities: (0.25, 0.0625, 0.0225, 0.01) / 0.345
    final double[] freq =
        frequencies(FOUR, SamplingParams.builder().temperature(0.5).seed(9).build(), 100_000);
    assertThat(freq[0]).isCloseTo(0.7246, within(0.008));
    assertThat(freq[1]).isCloseTo(0.1812, within(0.008));
    assertThat(freq[2]).isCloseTo(0.0652, within(0.008));
    assertThat(freq[3]).isCloseTo(0.0290, within(0.008));
  }

  @Test
  void shouldKeepTheNucleusWithTopP() {
    // cumulative 0.5 < 0.7 <= 0.75: tokens 0 and 1 remain, renormalised to 2/3 and 1/3
    final double[] freq =
        frequencies(FOUR, SamplingParams.builder().topP(0.7).seed(3).build(), 60_000);
    assertThat(freq[0]).isCloseTo(2 / 3.0, within(0.01));
    assertThat(freq[1]).isCloseTo(1 / 3.0, within(0.01));
    assertThat(freq[2]).isZero();
    assertThat(freq[3]).isZero();
  }

  @Test
  void shouldKeepTheBestKWithTopK() {
    final double[] freq =
        frequencies(FOUR, SamplingParams.builder().topK(2).seed(4).build(), 60_000);
    assertThat(freq[0]).isCloseTo(2 / 3.0, within(0.01));
    assertThat(freq[1]).isCloseTo(1 / 3.0, within(0.01));
    assertThat(freq[2] + freq[3]).isZero();
  }

  @Test
  void shouldDropUnlikelyTokensWithMinP() {
    // threshold 0.25 * 0.5 = 0.125: 0.15 stays, 0.1 goes
    final double[] freq =
        frequencies(FOUR, SamplingParams.builder().minP(0.25).seed(6).build(), 60_000);
    assertThat(freq[0]).isCloseTo(0.5 / 0.9, within(0.01));
    assertThat(freq[1]).isCloseTo(0.25 / 0.9, within(0.01));
    assertThat(freq[2]).isCloseTo(0.15 / 0.9, within(0.01));
    assertThat(freq[3]).isZero();
  }

  @Test
  void shouldNeverDrawTokensWithMinusInfinityLogits() {
    final float[] logits = {Float.NEGATIVE_INFINITY, 0f, Float.NEGATIVE_INFINITY, 0f};
    final double[] freq =
        frequencies(logits, SamplingParams.builder().temperature(5).seed(1).build(), 10_000);
    assertThat(freq[0] + freq[2]).isZero();
    assertThat(freq[1]).isCloseTo(0.5, within(0.03));
  }

  @Test
  void shouldApplyEveryPenaltyToAHandBuiltLogitsVector() {
    final float[] logits = {2f, -1f, 0.5f, 3f};
    final float[] out = new float[4];
    final TokenCounts generated = TokenCounts.of(0, 1, 1);
    Sampler.penalise(out, logits, SamplingParams.builder().repetitionPenalty(2).build(), generated);
    assertThat(out)
        .containsExactly(1f, -2f, 0.5f, 3f); // positive / 2, negative * 2, others untouched
    Sampler.penalise(out, logits, SamplingParams.builder().presencePenalty(0.5).build(), generated);
    assertThat(out).containsExactly(1.5f, -1.5f, 0.5f, 3f); // once per distinct token
    Sampler.penalise(
        out, logits, SamplingParams.builder().frequencyPenalty(0.25).build(), generated);
    assertThat(out).containsExactly(1.75f, -1.5f, 0.5f, 3f); // per occurrence: 1 and 2
    Sampler.penalise(
        out,
        logits,
        SamplingParams.builder()
            .repetitionPenalty(2)
            .presencePenalty(0.5)
            .frequencyPenalty(0.25)
            .build(),
        generated);
    assertThat(out)
        .containsExactly(0.25f, -3f, 0.5f, 3f); // repetition first, then 0.5 + 0.25·count
    Sampler.penalise(out, logits, SamplingParams.builder().presencePenalty(-1).build(), generated);
    assertThat(out).containsExactly(3f, 0f, 0.5f, 3f); // a negative penalty encourages repeats
  }

  @Test
  void shouldChangeTheGreedyChoiceThroughPenalties() {
    final Sampler sampler = new Sampler();
    final SamplingParams greedy = SamplingParams.builder().temperature(0).build();
    final float[] logits = {3.0f, 2.9f};
    assertThat(sampler.sample(logits, greedy, TokenCounts.of(0))).isZero();
    assertThat(
            sampler.sample(
                logits, greedy.toBuilder().repetitionPenalty(1.1).build(), TokenCounts.of(0)))
        .isEqualTo(1);
    assertThat(
            sampler.sample(
                logits, greedy.toBuilder().presencePenalty(0.2).build(), TokenCounts.of(0)))
        .isEqualTo(1);
    assertThat(
            sampler.sample(
                logits, greedy.toBuilder().frequencyPenalty(0.06).build(), TokenCounts.of(0)))
        .isZero();
    assertThat(
            sampler.sample(
                logits, greedy.toBuilder().frequencyPenalty(0.06).build(), TokenCounts.of(0, 0)))
        .isEqualTo(1);
    assertThat(logits).containsExactly(3.0f, 2.9f); // the caller's logits are never modified
  }

  /**
   * The documented algorithm written plainly (boxed full sort, explicit lists), as an oracle for
   * the lazily sorted implementation.
   */
  private static int reference(
      final float[] logits, final SamplingParams p, final TokenCounts generated) {
    final float[] l = new float[logits.length];
    Sampler.penalise(l, logits, p, generated);
    final List<Integer> ranked = new ArrayList<>();
    for (int id = 0; id < l.length; id++) {
      if (l[id] != Float.NEGATIVE_INFINITY) {
        ranked.add(id);
      }
    }
    ranked.sort(
        Comparator.<Integer>comparingDouble(id -> -(l[id] + 0.0f)).thenComparingInt(id -> id));
    final List<Integer> candidates =
        p.topK() > 0 && p.topK() < ranked.size() ? ranked.subList(0, p.topK()) : ranked;
    final double max = l[candidates.get(0)];
    double mass = 0;
    for (final int id : candidates.stream().sorted().toList()) {
      mass += StrictMath.exp((l[id] - max) / p.temperature());
    }
    int kept = candidates.size();
    double keptMass = mass;
    double running = 0;
    for (int r = 0; r < candidates.size() && (p.topP() < 1 || p.minP() > 0); r++) {
      final double w = StrictMath.exp((l[candidates.get(r)] - max) / p.temperature());
      if (r > 0 && w < p.minP() * 1.0) {
        kept = r;
        keptMass = running;
        break;
      }
      running += w;
      if (p.topP() < 1 && running >= p.topP() * mass) {
        kept = r + 1;
        keptMass = running;
        break;
      }
    }
    final double target = CounterRandom.uniform(p.seed(), generated.total()) * keptMass;
    running = 0;
    for (int r = 0; r < kept; r++) {
      running += StrictMath.exp((l[candidates.get(r)] - max) / p.temperature());
      if (target < running) {
        return candidates.get(r);
      }
    }
    return candidates.get(kept - 1);
  }

  @Test
  void shouldAgreeWithAPlainImplementationOfTheDocumentedSteps() {
    final Random random = new Random(31);
    final Sampler sampler = new Sampler();
    for (int round = 0; round < 300; round++) {
      final float[] logits = randomLogits(random, 1 + random.nextInt(3000));
      if (random.nextBoolean()) {
        logits[random.nextInt(logits.length)] = Float.NEGATIVE_INFINITY;
      }
      final SamplingParams params =
          SamplingParams.builder()
              .temperature(0.05 + random.nextDouble() * 2)
              .topP(random.nextBoolean() ? 1.0 : 0.05 + random.nextDouble() * 0.95)
              .topK(random.nextBoolean() ? 0 : 1 + random.nextInt(100))
              .minP(random.nextBoolean() ? 0.0 : random.nextDouble() * 0.3)
              .repetitionPenalty(1 + random.nextDouble())
              .presencePenalty(random.nextDouble() * 4 - 2)
              .frequencyPenalty(random.nextDouble() * 4 - 2)
              .seed(random.nextLong())
              .build();
      final TokenCounts generated = new TokenCounts();
      for (int i = random.nextInt(20); i > 0; i--) {
        generated.add(random.nextInt(logits.length));
      }
      assertThat(sampler.sample(logits, params, generated))
          .as("round %d: %s", round, params)
          .isEqualTo(reference(logits, params, generated));
    }
  }

  @Test
  void shouldRejectBrokenLogits() {
    final Sampler sampler = new Sampler();
    final SamplingParams params = SamplingParams.DEFAULTS;
    assertThatThrownBy(() -> sampler.sample(new float[] {0f, Float.NaN}, params, new TokenCounts()))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("logit 1 is NaN");
    assertThatThrownBy(
            () -> sampler.sample(new float[] {Float.POSITIVE_INFINITY}, params, new TokenCounts()))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("Infinity");
    final float[] masked = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
    assertThatThrownBy(() -> sampler.sample(masked, params, new TokenCounts()))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("every logit is -Infinity");
    assertThatThrownBy(() -> sampler.sample(new float[0], params, new TokenCounts()))
        .isInstanceOf(EngineException.class);
    assertThatThrownBy(() -> sampler.sample(new float[] {1f}, params, TokenCounts.of(5)))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("generated token 5");
  }

  @Test
  void shouldValidateParamsBeforeSampling() {
    final SamplingParams bad = SamplingParams.builder().topP(0).build();
    assertThatThrownBy(() -> new Sampler().sample(FOUR, bad, new TokenCounts()))
        .isInstanceOf(InvalidParameterException.class)
        .hasMessageContaining("top_p");
  }
}
