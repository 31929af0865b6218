package io.finchstream.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.EngineException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SamplingParamsTest {

  private static Arguments bad(
      final String parameter, final UnaryOperator<SamplingParams.Builder> edit) {
    return Arguments.of(parameter, edit);
  }

  static Stream<Arguments> invalidParams() {
    final List<String> tooMany = Collections.nCopies(SamplingParams.MAX_STOP_STRINGS + 1, "x");
    return Stream.of(
        bad("temperature", b -> b.temperature(-0.01)),
        bad("temperature", b -> b.temperature(Double.NaN)),
        bad("temperature", b -> b.temperature(Double.POSITIVE_INFINITY)),
        bad("top_p", b -> b.topP(0)),
        bad("top_p", b -> b.topP(1.0001)),
        bad("top_p", b -> b.topP(Double.NaN)),
        bad("top_k", b -> b.topK(-1)),
        bad("min_p", b -> b.minP(-0.1)),
        bad("min_p", b -> b.minP(1.0)),
        bad("min_p", b -> b.minP(Double.NaN)),
        bad("repetition_penalty", b -> b.repetitionPenalty(0.99)),
        bad("repetition_penalty", b -> b.repetitionPenalty(Double.NaN)),
        bad("repetition_penalty", b -> b.repetitionPenalty(Double.POSITIVE_INFINITY)),
        bad("presence_penalty", b -> b.presencePenalty(2.01)),
        bad("presence_penalty", b -> b.presencePenalty(-2.01)),
        bad("presence_penalty", b -> b.presencePenalty(Double.NaN)),
        bad("frequency_penalty", b -> b.frequencyPenalty(-3)),
        bad("frequency_penalty", b -> b.frequencyPenalty(Double.NaN)),
        bad("stop_token_ids", b -> b.stopTokenIds(List.of(5, -1))),
        bad("stop_token_ids", b -> b.stopTokenIds(Arrays.asList(5, null))),
        bad("stop", b -> b.stopStrings(List.of(""))),
        bad("stop", b -> b.stopStrings(Arrays.asList("ok", null))),
        bad("stop", b -> b.stopStrings(List.of("x".repeat(SamplingParams.MAX_STOP_LENGTH + 1)))),
        bad("stop", b -> b.stopStrings(List.of("bad \ud83d half"))),
        bad("stop", b -> b.stopStrings(tooMany)),
        bad("max_tokens", b -> b.maxTokens(0)),
        bad("logit_bias", b -> b.logitBias(Map.of(5, 100.5))),
        bad("logit_bias", b -> b.logitBias(Map.of(5, Double.NaN))),
        bad("logit_bias", b -> b.logitBias(Map.of(-1, 1.0))),
        bad("logit_bias", b -> b.logitBias(nullKey())),
        bad("logit_bias", b -> b.logitBias(tooManyBiases())),
        bad("top_logprobs", b -> b.logprobs(true).topLogprobs(21)),
        bad("top_logprobs", b -> b.logprobs(true).topLogprobs(-1)),
        bad("top_logprobs", b -> b.topLogprobs(3)));
  }

  private static Map<Integer, Double> nullKey() {
    final Map<Integer, Double> m = new HashMap<>();
    m.put(null, 1.0);
    return m;
  }

  private static Map<Integer, Double> tooManyBiases() {
    final Map<Integer, Double> m = new HashMap<>();
    for (int i = 0; i <= SamplingParams.MAX_LOGIT_BIAS; i++) {
      m.put(i, 1.0);
    }
    return m;
  }

  @Test
  void shouldRefuseALogitBiasOutsideTheVocabulary() {
    final SamplingParams params = SamplingParams.builder().logitBias(Map.of(256, -5.0)).build();
    assertThat(params.validate()).isSameAs(params);
    assertThat(params.validate(257)).isSameAs(params);
    assertThatThrownBy(() -> params.validate(256))
        .isInstanceOf(InvalidParameterException.class)
        .hasMessage("logit_bias must be keyed by token ids in [0, 255], got 256");
  }

  @ParameterizedTest(name = "{0} #{index}")
  @MethodSource("invalidParams")
  void shouldRejectEveryInvalidParameterByName(
      final String parameter, final UnaryOperator<SamplingParams.Builder> edit) {
    final SamplingParams params = edit.apply(SamplingParams.builder()).build();
    assertThatThrownBy(params::validate)
        .isInstanceOf(InvalidParameterException.class)
        .isInstanceOf(EngineException.class)
        .hasMessageStartingWith(parameter + " must be ")
        .satisfies(
            e -> assertThat(((InvalidParameterException) e).parameter()).isEqualTo(parameter));
  }

  @Test
  void shouldStateTheAllowedRangeAndTheValue() {
    assertThatThrownBy(() -> SamplingParams.builder().topP(1.5).build().validate())
        .hasMessage("top_p must be in (0, 1] (1 = off), got 1.5");
    assertThatThrownBy(() -> SamplingParams.builder().presencePenalty(3).build().validate())
        .hasMessage("presence_penalty must be in [-2, 2] (0 = off), got 3.0");
  }

  @Test
  void shouldAcceptTheBoundaries() {
    final SamplingParams edge =
        SamplingParams.builder()
            .temperature(0)
            .topP(1)
            .topK(0)
            .minP(0.999)
            .repetitionPenalty(1)
            .presencePenalty(-2)
            .frequencyPenalty(2)
            .stopTokenIds(List.of(0, 65_535))
            .stopStrings(List.of("x".repeat(SamplingParams.MAX_STOP_LENGTH), "👍🏽"))
            .maxTokens(1)
            .seed(Long.MIN_VALUE)
            .logitBias(Map.of(0, -100.0, 65_535, 100.0))
            .logprobs(true)
            .topLogprobs(SamplingParams.MAX_TOP_LOGPROBS)
            .build();
    assertThat(edge.validate()).isSameAs(edge);
    assertThat(SamplingParams.DEFAULTS.validate()).isSameAs(SamplingParams.DEFAULTS);
  }

  @Test
  void shouldBeImmutable() {
    final List<String> stops = new ArrayList<>(List.of("a"));
    final SamplingParams params = SamplingParams.builder().stopStrings(stops).build();
    stops.add("b");
    assertThat(params.stopStrings()).containsExactly("a");
    assertThatThrownBy(() -> params.stopStrings().add("c"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(params.toBuilder().build()).isEqualTo(params);
    final Map<Integer, Double> bias = new HashMap<>(Map.of(9, 1.0, 2, -1.0));
    final SamplingParams biased = SamplingParams.builder().logitBias(bias).build();
    bias.put(3, 0.5);
    assertThat(biased.logitBias()).containsExactly(Map.entry(2, -1.0), Map.entry(9, 1.0));
    assertThatThrownBy(() -> biased.logitBias().put(4, 1.0))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(biased.toBuilder().build()).isEqualTo(biased);
  }

  @Test
  void shouldAlwaysStopAtEndOfTextAndAtTheGivenIds() {
    final SamplingParams params = SamplingParams.builder().stopTokenIds(List.of(261)).build();
    assertThat(params.isStopToken(0)).isTrue();
    assertThat(params.isStopToken(261)).isTrue();
    assertThat(params.isStopToken(11)).isFalse();
    assertThat(SamplingParams.DEFAULTS.isStopToken(0)).isTrue();
  }
}
