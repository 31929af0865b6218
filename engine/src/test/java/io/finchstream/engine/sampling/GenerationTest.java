package io.finchstream.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.tokenizer.ByteTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class GenerationTest {

  private static int[] bytes(final String text) {
    final byte[] b = text.getBytes(StandardCharsets.UTF_8);
    final int[] ids = new int[b.length];
    for (int i = 0; i < b.length; i++) {
      ids[i] = b[i] & 0xff;
    }
    return ids;
  }

  private static Generation generation(final SamplingParams.Builder params) {
    return new Generation(ByteTokenizer.INSTANCE, params.build());
  }

  private static String acceptAll(final Generation g, final int[] tokens) {
    final StringBuilder text = new StringBuilder();
    for (final int t : tokens) {
      if (g.ended()) {
        break;
      }
      text.append(g.accept(t));
    }
    return text.toString();
  }

  @Test
  void shouldEndAtEndOfTextWithoutCountingOrEmittingIt() {
    final Generation g = generation(SamplingParams.builder().maxTokens(10));
    assertThat(acceptAll(g, new int[] {'h', 'i', 0, 'x'})).isEqualTo("hi");
    assertThat(g.finish()).isEqualTo(Generation.Finish.END_OF_TEXT);
    assertThat(g.generated()).isEqualTo(2);
  }

  @Test
  void shouldEndAtAStopTokenIdAsStop() {
    final Generation g = generation(SamplingParams.builder().stopTokenIds(List.of((int) '!')));
    assertThat(acceptAll(g, bytes("ok!more"))).isEqualTo("ok");
    assertThat(g.finish()).isEqualTo(Generation.Finish.STOP);
  }

  @Test
  void shouldCutTheTextAtAStopStringAndNotEmitIt() {
    final Generation g = generation(SamplingParams.builder().stopStrings(List.of("\n\nUser:")));
    assertThat(acceptAll(g, bytes("Fine.\n\nUser: next"))).isEqualTo("Fine.");
    assertThat(g.finish()).isEqualTo(Generation.Finish.STOP);
  }

  @Test
  void shouldEndAtMaxTokensAndFlushHeldBackText() {
    // "é" is two bytes: with max 3 tokens the reply is "aé", complete characters only.
    final Generation g =
        generation(SamplingParams.builder().maxTokens(3).stopStrings(List.of("a\u00e9b")));
    assertThat(acceptAll(g, bytes("a\u00e9bc"))).isEqualTo("a\u00e9");
    assertThat(g.finish()).isEqualTo(Generation.Finish.LENGTH);
    assertThat(g.generated()).isEqualTo(3);
  }

  @Test
  void shouldNeverSplitAUtf8CharacterAcrossAcceptedTokens() {
    final Generation g = generation(SamplingParams.builder());
    final int[] euro = bytes("\u20ac");
    assertThat(g.accept(euro[0])).isEmpty();
    assertThat(g.accept(euro[1])).isEmpty();
    assertThat(g.accept(euro[2])).isEqualTo("\u20ac");
  }

  @Test
  void shouldReplayToTheSameTextAndCounts() {
    final int[] tokens = bytes("abcabd\u00e9");
    final Generation first = generation(SamplingParams.builder().stopStrings(List.of("zz")));
    final String text = acceptAll(first, tokens);
    final Generation again = generation(SamplingParams.builder().stopStrings(List.of("zz")));
    assertThat(again.replay(tokens)).isEqualTo(text);
    assertThat(again.counts().count('a')).isEqualTo(2);
    assertThat(again.generated()).isEqualTo(first.generated());
  }

  @Test
  void shouldFlushOnceAndRefuseTokensAfterTheEnd() {
    final Generation g = generation(SamplingParams.builder().stopStrings(List.of("xyz")));
    assertThat(g.accept('x')).isEmpty();
    assertThat(g.flush()).isEqualTo("x");
    assertThat(g.ended()).isTrue();
    assertThat(g.finish()).isNull();
    assertThat(g.flush()).isEmpty();
    assertThatThrownBy(() -> g.accept('a')).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void shouldSampleWithItsOwnCountsSoPenaltiesApply() {
    final float[] logits = {0f, 5f, 4.9f};
    final Generation g = generation(SamplingParams.builder().temperature(0).presencePenalty(1.0));
    final Sampler sampler = new Sampler();
    final int first = g.sample(sampler, logits);
    assertThat(first).isEqualTo(1);
    g.accept(first);
    assertThat(g.sample(sampler, logits)).as("token 1 is penalised once generated").isEqualTo(2);
  }
}
