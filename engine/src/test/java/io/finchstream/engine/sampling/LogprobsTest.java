package io.finchstream.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.finch.FinchConfig;
import io.finchstream.engine.testing.RandomFinch;
import io.finchstream.engine.tokenizer.ByteTokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@code logit_bias} and {@code logprobs}: where they sit among the sampler's steps. */
class LogprobsTest {

  private static float[] randomLogits(final Random random, final int vocab) {
    final float[] logits = new float[vocab];
    for (int i = 0; i < vocab; i++) {
      logits[i] = (float) (random.nextGaussian() * 3);
    }
    return logits;
  }

  /**
   * The OpenAI definition written plainly: penalties, then the bias, then log-softmax (summed in
   * descending id order with Math.exp, unlike the sampler).
   */
  static double[] expectedLogprobs(
      final float[] logits,
      final SamplingParams p,
      final TokenCounts generated,
      final boolean[] allowed) {
    final float[] l = logits.clone();
    for (int i = 0; i < generated.distinct(); i++) {
      final int t = generated.tokenAt(i);
      float v = l[t];
      v = v > 0 ? v / (float) p.repetitionPenalty() : v * (float) p.repetitionPenalty();
      l[t] =
          v - ((float) p.presencePenalty() + (float) p.frequencyPenalty() * generated.countAt(i));
    }
    for (final Map.Entry<Integer, Double> e : p.logitBias().entrySet()) {
      l[e.getKey()] += e.getValue().floatValue();
    }
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < l.length; i++) {
      if (allowed == null || allowed[i]) {
        max = Math.max(max, l[i]);
      }
    }
    double sum = 0;
    for (int i = l.length - 1; i >= 0; i--) {
      if (allowed == null || allowed[i]) {
        sum += Math.exp(l[i] - max);
      }
    }
    final double[] out = new double[l.length];
    for (int i = 0; i < l.length; i++) {
      out[i] =
          allowed == null || allowed[i] ? l[i] - max - Math.log(sum) : Double.NEGATIVE_INFINITY;
    }
    return out;
  }

  private static void assertMatches(final Sampler.Draw draw, final double[] expected, final int k) {
    assertThat(draw.logprob()).isCloseTo(expected[draw.token()], within(1e-9));
    assertThat(draw.top()).hasSize(Math.min(k, (int) finiteCount(expected)));
    for (int i = 0; i < draw.top().size(); i++) {
      final Sampler.Ranked r = draw.top().get(i);
      assertThat(r.logprob()).isCloseTo(expected[r.token()], within(1e-9));
      if (i > 0) {
        final Sampler.Ranked before = draw.top().get(i - 1);
        assertThat(
                before.logprob() > r.logprob()
                    || (before.logprob() == r.logprob() && before.token() < r.token()))
            .isTrue();
      }
    }
    // nothing outside the list beats its last entry
    final Sampler.Ranked last = draw.top().get(draw.top().size() - 1);
    for (int t = 0; t < expected.length; t++) {
      final int token = t;
      if (draw.top().stream().noneMatch(r -> r.token() == token)) {
        assertThat(expected[t]).isLessThanOrEqualTo(last.logprob() + 1e-9);
      }
    }
  }

  private static long finiteCount(final double[] values) {
    return Arrays.stream(values).filter(v -> v != Double.NEGATIVE_INFINITY).count();
  }

  @Test
  void shouldAddTheLogitBiasAfterThePenalties() {
    final Sampler sampler = new Sampler();
    final SamplingParams greedy = SamplingParams.builder().temperature(0).build();
    final float[] logits = {3.0f, 2.9f, 1.0f};
    assertThat(sampler.sample(logits, greedy, new TokenCounts())).isZero();
    assertThat(
            sampler.sample(
                logits, greedy.toBuilder().logitBias(Map.of(2, 100.0)).build(), new TokenCounts()))
        .isEqualTo(2);
    assertThat(
            sampler.sample(
                logits, greedy.toBuilder().logitBias(Map.of(0, -100.0)).build(), new TokenCounts()))
        .isEqualTo(1);
    // penalty first: 2 / 2 + 1 = 2.0 > 1.8 (the bias first would give (2 + 1) / 2 = 1.5 < 1.8)
    final float[] close = {2.0f, 1.8f};
    final SamplingParams both =
        greedy.toBuilder().repetitionPenalty(2).logitBias(Map.of(0, 1.0)).build();
    assertThat(sampler.sample(close, both, TokenCounts.of(0))).isZero();
    assertThat(close).containsExactly(2.0f, 1.8f);
  }

  @Test
  void shouldReportTheLogSoftmaxOfThePenalisedBiasedLogits() {
    final Random random = new Random(7);
    final Sampler sampler = new Sampler();
    for (int round = 0; round < 100; round++) {
      final int vocab = 2 + random.nextInt(2000);
      final float[] logits = randomLogits(random, vocab);
      final TokenCounts generated = TokenCounts.of(random.ints(5, 0, vocab).toArray());
      final int k = random.nextInt(SamplingParams.MAX_TOP_LOGPROBS + 1);
      final SamplingParams params =
          SamplingParams.builder()
              .temperature(random.nextBoolean() ? 0 : 0.1 + 2 * random.nextDouble())
              .topK(random.nextInt(3) * 10)
              .topP(random.nextBoolean() ? 1 : 0.5)
              .repetitionPenalty(1 + random.nextDouble())
              .presencePenalty(random.nextDouble() * 2 - 1)
              .frequencyPenalty(random.nextDouble() * 2 - 1)
              .logitBias(Map.of(random.nextInt(vocab), random.nextDouble() * 200 - 100))
              .logprobs(true)
              .topLogprobs(k)
              .seed(round)
              .build();
      final Sampler.Draw draw = sampler.draw(logits, params, generated, null);
      final double[] expected = expectedLogprobs(logits, params, generated, null);
      if (k > 0) {
        assertMatches(draw, expected, k);
      } else {
        assertThat(draw.top()).isEmpty();
        assertThat(draw.logprob()).isCloseTo(expected[draw.token()], within(1e-9));
      }
      // the draw is the same without logprobs, and logprobs do not depend on temperature
      final SamplingParams plain = params.toBuilder().logprobs(false).topLogprobs(0).build();
      assertThat(sampler.sample(logits, plain, generated)).isEqualTo(draw.token());
      assertThat(Double.isNaN(sampler.draw(logits, plain, generated, null).logprob())).isTrue();
      final SamplingParams hotter = params.toBuilder().temperature(3).build();
      final int token = draw.token();
      assertThat(sampler.draw(logits, hotter, generated, null).top()).isEqualTo(draw.top());
      assertThat(expected[token]).isCloseTo(draw.logprob(), within(1e-9));
    }
  }

  @Test
  void shouldComputeLogprobsOverTheTokensTheMaskAllows() {
    final Random random = new Random(3);
    final float[] logits = randomLogits(random, 50);
    final boolean[] allowed = new boolean[50];
    allowed[4] = true;
    allowed[17] = true;
    allowed[31] = true;
    final TokenMask mask =
        (l, remaining) -> {
          for (int i = 0; i < l.length; i++) {
            if (!allowed[i]) {
              l[i] = Float.NEGATIVE_INFINITY;
            }
          }
        };
    final SamplingParams params = SamplingParams.builder().logprobs(true).topLogprobs(5).build();
    final Sampler sampler = new Sampler();
    for (int step = 0; step < 50; step++) {
      final TokenCounts generated = new TokenCounts();
      for (int i = 0; i < step; i++) {
        generated.add(9);
      }
      final Sampler.Draw draw = sampler.draw(logits, params, generated, mask);
      assertThat(allowed[draw.token()]).isTrue();
      assertThat(draw.top()).hasSize(3);
      assertMatches(draw, expectedLogprobs(logits, params, generated, allowed), 5);
      assertThat(draw.top().stream().mapToDouble(r -> Math.exp(r.logprob())).sum())
          .isCloseTo(1.0, within(1e-12));
    }
  }

  /**
   * The engine end to end: at every step of a generation with penalties and a bias, the reported
   * logprobs equal the log-softmax (after the same penalties and bias) of the logits the model's
   * {@code logits} call gives for a copy of the state at that point.
   */
  @Test
  void shouldEqualTheLogSoftmaxOfTheModelLogitsForTheSameState() {
    final LanguageModel model =
        RandomFinch.model(
            FinchConfig.standard(2, 32, 8, 256), 11, LoadOptions.defaults().withThreads(1));
    for (final boolean penalised : new boolean[] {false, true}) {
      final SamplingParams.Builder b =
          SamplingParams.builder().maxTokens(24).seed(5).logprobs(true).topLogprobs(8);
      if (penalised) {
        b.repetitionPenalty(1.3)
            .presencePenalty(0.4)
            .frequencyPenalty(0.3)
            .logitBias(Map.of('a' + 0, 4.0, 'e' + 0, -2.5, 0, -100.0));
      }
      final SamplingParams params = b.build();
      final ModelState state = model.newState();
      model.ingest(List.of(state), List.of(ByteTokenizer.INSTANCE.encode("Once upon a")));
      final float[][] logits = new float[1][256];
      model.logits(List.of(state), logits);
      final Generation g = new Generation(ByteTokenizer.INSTANCE, params);
      final Sampler sampler = new Sampler();
      while (!g.ended()) {
        final ModelState copy = state.copy();
        final float[][] fresh = new float[1][256];
        model.logits(List.of(copy), fresh);
        final double[] expected = expectedLogprobs(fresh[0], params, g.counts(), null);
        final Generation.Sample s = g.draw(sampler, logits[0]);
        final TokenLogprobs lp = s.logprobs();
        assertThat(lp.chosen().token()).isEqualTo(s.token());
        assertThat(lp.chosen().logprob()).isCloseTo(expected[s.token()], within(1e-9));
        assertThat(lp.chosen().bytes()).isEqualTo(ByteTokenizer.INSTANCE.tokenBytes(s.token()));
        assertThat(lp.top()).hasSize(8);
        for (final TokenLogprob t : lp.top()) {
          assertThat(t.logprob()).isCloseTo(expected[t.token()], within(1e-9));
          assertThat(t.bytes()).isEqualTo(ByteTokenizer.INSTANCE.tokenBytes(t.token()));
        }
        g.accept(s.token());
        if (!g.ended()) {
          model.step(List.of(state), new int[] {s.token()}, logits);
        }
      }
      assertThat(g.generated()).isEqualTo(24);
    }
  }
}
