package io.finchstream.processors.event;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.sampling.Choices;
import io.finchstream.engine.tokenizer.ByteTokenizer;
import io.finchstream.processors.testing.Events;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.EventOrigin;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.ResponseFormat;
import io.finchstream.proto.v1.Role;
import io.finchstream.proto.v1.SamplingParams;
import io.finchstream.proto.v1.ToolFunction;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EventValidatorTest {

  private final EventValidator validator =
      new EventValidator(
          ByteTokenizer.INSTANCE, 256, new EventValidator.Limits(1000, 500, 100, 20, 4));
  private final EventOrigin origin =
      EventOrigin.newBuilder().setTopic("t").setPartition(1).setOffset(9).build();

  private EventValidator.Result validate(final String key, final byte[] value) {
    return validator.validate(key.getBytes(StandardCharsets.UTF_8), value, origin);
  }

  @Test
  void shouldRenderTheRoleAndTokenizeAppendedText() {
    final var accepted =
        (EventValidator.Accepted)
            validate("c", Events.appendText("hi", Role.ROLE_USER).toByteArray());
    assertThat(((Command.Append) accepted.inbound().command()).tokens())
        .containsExactly(ByteTokenizer.INSTANCE.encode("User: hi\n\n"));
    assertThat(accepted.inbound().origin()).isEqualTo(origin);
  }

  @Test
  void shouldResolveGenerationDefaultsAndDeriveAStableSeedFromTheRequestId() {
    final var a =
        (EventValidator.Accepted)
            validate(
                "c",
                Events.generate(Generate.newBuilder().setRequestId("r").build()).toByteArray());
    final var g = (Command.StartGeneration) a.inbound().command();
    assertThat(g.params().maxTokens()).isEqualTo(20);
    assertThat(g.params().seed())
        .isEqualTo(EventValidator.seedOf("r"))
        .isNotEqualTo(EventValidator.seedOf("s"));
    assertThat(g.params().temperature()).isEqualTo(1.0);
    assertThat(a.inbound().requestId()).isEqualTo("r");
  }

  @Test
  void shouldDrawAChoiceWithItsSeedStreamAndRefuseAChoiceOutOfRange() {
    for (final int choice : new int[] {0, 3}) {
      final Generate.Builder g =
          Generate.newBuilder()
              .setRequestId("r")
              .setChoice(choice)
              .setSampling(SamplingParams.newBuilder().setSeed(7));
      final var a =
          (EventValidator.Accepted) validate("c", Events.generate(g.build()).toByteArray());
      assertThat(((Command.StartGeneration) a.inbound().command()).params().seed())
          .isEqualTo(Choices.seed(7, choice))
          .isEqualTo(7 + choice * 0x9E3779B97F4A7C15L);
    }
    final var unseeded =
        (EventValidator.Accepted)
            validate(
                "c",
                Events.generate(Generate.newBuilder().setRequestId("r").setChoice(2).build())
                    .toByteArray());
    assertThat(((Command.StartGeneration) unseeded.inbound().command()).params().seed())
        .isEqualTo(Choices.seed(EventValidator.seedOf("r"), 2));
    final var r =
        (EventValidator.Rejected)
            validate(
                "c",
                Events.generate(Generate.newBuilder().setRequestId("r").setChoice(128).build())
                    .toByteArray());
    assertThat(r.rejection().code()).isEqualTo(ErrorCode.INVALID_PARAMETERS);
    assertThat(r.rejection().reason()).contains("generate.choice");
  }

  @Test
  void shouldCompileAToolCallFormatAndRefuseAFunctionSchemaOutsideTheSubsetNamingIt() {
    final ResponseFormat.Builder call =
        ResponseFormat.newBuilder()
            .setType(ResponseFormat.Type.TYPE_TOOL_CALL)
            .addFunctions(
                ToolFunction.newBuilder()
                    .setName("get_weather")
                    .setParameters(
                        "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}"))
            .addFunctions(ToolFunction.newBuilder().setName("now"));
    final Generate.Builder g = Generate.newBuilder().setRequestId("r").setMaxTokens(100);
    assertThat(validate("c", Events.generate(g.setResponseFormat(call).build()).toByteArray()))
        .isInstanceOf(EventValidator.Accepted.class);
    final var refused =
        (EventValidator.Rejected)
            validate(
                "c",
                Events.generate(
                        g.setResponseFormat(
                                call.addFunctions(
                                    ToolFunction.newBuilder()
                                        .setName("bad")
                                        .setParameters(
                                            "{\"type\": \"string\", \"pattern\": \"a\"}")))
                            .build())
                    .toByteArray());
    assertThat(refused.rejection().code()).isEqualTo(ErrorCode.INVALID_PARAMETERS);
    assertThat(refused.rejection().reason())
        .startsWith("tools: ")
        .contains("function 'bad'")
        .contains("pattern");
  }

  @Test
  void shouldReadTokenIdsAsUnsignedAndRejectThoseAboveTheVocabulary() {
    final var r = (EventValidator.Rejected) validate("c", Events.appendTokens(1, -1).toByteArray());
    assertThat(r.rejection().code()).isEqualTo(ErrorCode.TOKEN_OUT_OF_RANGE);
    assertThat(r.rejection().reason()).contains("4294967295");
  }

  @Test
  void shouldLimitStopSequencesAndTokenCounts() {
    final var tooMany =
        (EventValidator.Rejected)
            validate("c", Events.generateGreedy("r", 5, "a", "b", "c", "d", "e").toByteArray());
    assertThat(tooMany.rejection().code()).isEqualTo(ErrorCode.INVALID_PARAMETERS);
    final var tooLong =
        (EventValidator.Rejected) validate("c", Events.appendTokens(new int[501]).toByteArray());
    assertThat(tooLong.rejection().code()).isEqualTo(ErrorCode.PAYLOAD_TOO_LARGE);
  }

  @Test
  void shouldGiveTheSameAnswerForTheSameBytes() {
    final byte[] value = Events.appendText("same", Role.ROLE_SYSTEM).toByteArray();
    final var a = (EventValidator.Accepted) validate("c", value);
    final var b = (EventValidator.Accepted) validate("c", value);
    assertThat(((Command.Append) a.inbound().command()).tokens())
        .containsExactly(((Command.Append) b.inbound().command()).tokens());
  }
}
