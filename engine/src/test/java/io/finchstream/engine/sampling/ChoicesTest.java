package io.finchstream.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.finch.FinchConfig;
import io.finchstream.engine.goldfinch.GoldFinchConfig;
import io.finchstream.engine.testing.RandomFinch;
import io.finchstream.engine.testing.RandomGoldFinch;
import io.finchstream.engine.tokenizer.ByteTokenizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** n continuations of one prompt: forked state, batched decode, one seed stream per choice. */
class ChoicesTest {

  private static final LanguageModel MODEL =
      RandomFinch.model(
          FinchConfig.standard(2, 32, 8, 256), 17, LoadOptions.defaults().withThreads(1));

  /** GoldFinch: a fork shares the prompt's cache blocks. */
  private static final LanguageModel GOLDFINCH =
      RandomGoldFinch.model(
          GoldFinchConfig.standard(6, 32, 16, 256), 17, LoadOptions.defaults().withThreads(1), 4);

  static Stream<LanguageModel> models() {
    return Stream.of(MODEL, GOLDFINCH);
  }

  private static ModelState prompt(final LanguageModel model) {
    final ModelState s = model.newState();
    model.ingest(List.of(s), List.of(ByteTokenizer.INSTANCE.encode("The cat")));
    return s;
  }

  /** A single generation from a copy of {@code prompt}: its tokens. */
  private static List<Integer> single(
      final LanguageModel model, final ModelState prompt, final SamplingParams params) {
    final ModelState state = prompt.copy();
    final float[][] logits = new float[1][256];
    model.logits(List.of(state), logits);
    final Generation g = new Generation(ByteTokenizer.INSTANCE, params);
    final Sampler sampler = new Sampler();
    final List<Integer> tokens = new ArrayList<>();
    while (!g.ended()) {
      final int t = g.sample(sampler, logits[0]);
      tokens.add(t);
      g.accept(t);
      if (!g.ended()) {
        model.step(List.of(state), new int[] {t}, logits);
      }
    }
    return tokens;
  }

  @ParameterizedTest
  @MethodSource("models")
  void shouldGiveEachChoiceTheReplyOfASingleGenerationWithItsSeed(final LanguageModel model) {
    final ModelState prompt = prompt(model);
    final byte[] before = prompt.recurrentBytes();
    final SamplingParams params =
        SamplingParams.builder()
            .maxTokens(20)
            .seed(42)
            .temperature(1.2)
            .stopStrings(List.of("e"))
            .presencePenalty(0.5)
            .build();
    final Choices choices = new Choices(model, ByteTokenizer.INSTANCE, prompt, params, 5, null);
    final List<List<Integer>> tokens = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      tokens.add(new ArrayList<>());
    }
    final Sampler sampler = new Sampler();
    int rounds = 0;
    while (!choices.done()) {
      for (final Choices.Step s : choices.step(sampler)) {
        tokens.get(s.choice()).add(s.token());
      }
      rounds++;
    }
    assertThat(rounds).isLessThanOrEqualTo(20);
    final Set<List<Integer>> distinct = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      assertThat(tokens.get(i))
          .as("choice %d", i)
          .isEqualTo(single(model, prompt, params.toBuilder().seed(Choices.seed(42, i)).build()));
      distinct.add(tokens.get(i));
    }
    assertThat(distinct).hasSizeGreaterThan(1);
    assertThat(Choices.seed(42, 0)).isEqualTo(42);
    assertThat(prompt.recurrentBytes()).isEqualTo(before);
    assertThatThrownBy(() -> choices.step(sampler)).hasMessageContaining("ended");
  }

  @Test
  void shouldRefuseAnNOutsideItsRange() {
    for (final int n : new int[] {0, Choices.MAX_CHOICES + 1}) {
      assertThatThrownBy(
              () ->
                  new Choices(
                      MODEL,
                      ByteTokenizer.INSTANCE,
                      prompt(MODEL),
                      SamplingParams.DEFAULTS,
                      n,
                      null))
          .isInstanceOf(InvalidParameterException.class)
          .hasMessageStartingWith("n must be in [1, 128]");
    }
  }
}
