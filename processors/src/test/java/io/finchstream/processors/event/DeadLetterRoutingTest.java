package io.finchstream.processors.event;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.finchstream.processors.testing.Events;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.processors.testing.TopologyFixture;
import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.DeadLetter;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.SamplingParams;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of event that cannot be processed ends on the dead-letter topic, with its bytes,
 * reason and origin.
 */
class DeadLetterRoutingTest {

  @TempDir Path dir;
  private TopologyFixture fx;

  @BeforeEach
  void start() {
    fx =
        new TopologyFixture(
            TestModels.tinyFinch(),
            Map.of("max.text.bytes", 100, "max.generate.tokens", 50, "default.generate.tokens", 20),
            dir);
  }

  @AfterEach
  void stop() {
    fx.close();
  }

  @Test
  void shouldDeadLetterMalformedBytesWithTheOriginalBytesAndOrigin() {
    final byte[] garbage = {(byte) 0xFF, 0x01, 0x02};
    fx.sendRaw(bytes("c"), garbage);
    final DeadLetter dl = single();
    assertThat(dl.getCode()).isEqualTo(ErrorCode.MALFORMED_EVENT);
    assertThat(dl.getOriginalValue().toByteArray()).isEqualTo(garbage);
    assertThat(dl.getOriginalKey().toStringUtf8()).isEqualTo("c");
    assertThat(dl.getSourceTopic()).isEqualTo(Topics.EVENTS);
    assertThat(dl.getSourceOffset()).isEqualTo(0);
    assertThat(errorReply("c").getError().getCode()).isEqualTo(ErrorCode.MALFORMED_EVENT);
  }

  @Test
  void shouldDeadLetterAMissingOrInvalidKeyWithoutAReply() {
    fx.sendRaw(null, Events.reset().toByteArray());
    fx.sendRaw(new byte[] {(byte) 0xC3, 0x28}, Events.reset().toByteArray());
    final List<TestRecord<byte[], DeadLetter>> dls = fx.deadLetters();
    assertThat(dls)
        .extracting(r -> r.value().getCode())
        .containsExactly(ErrorCode.INVALID_KEY, ErrorCode.INVALID_KEY);
    assertThat(dls.get(1).value().getOriginalKey().toByteArray())
        .containsExactly((byte) 0xC3, 0x28);
    assertThat(fx.replies()).isEmpty();
  }

  @Test
  void shouldDeadLetterEventsWithoutAKnownType() {
    fx.send("c", ConversationEvent.newBuilder().setSchemaVersion(1).build());
    final ConversationEvent future =
        ConversationEvent.newBuilder()
            .setSchemaVersion(1)
            .setUnknownFields(
                UnknownFieldSet.newBuilder()
                    .addField(
                        40,
                        UnknownFieldSet.Field.newBuilder()
                            .addLengthDelimited(ByteString.copyFromUtf8("x"))
                            .build())
                    .build())
            .build();
    fx.send("c", future);
    assertThat(fx.deadLetters())
        .extracting(r -> r.value().getCode())
        .containsExactly(ErrorCode.UNKNOWN_EVENT_TYPE, ErrorCode.UNKNOWN_EVENT_TYPE);
    assertThat(fx.deadLetters().get(1).value().getReason()).contains("40");
  }

  @Test
  void shouldDeadLetterANewerSchemaVersion() {
    fx.send("c", Events.appendText("hi").toBuilder().setSchemaVersion(2).build());
    assertThat(single().getCode()).isEqualTo(ErrorCode.UNSUPPORTED_SCHEMA_VERSION);
  }

  @Test
  void shouldDeadLetterTokenIdsAtOrAboveTheVocabulary() {
    fx.send("c", Events.appendTokens(1, 2, 256));
    final DeadLetter dl = single();
    assertThat(dl.getCode()).isEqualTo(ErrorCode.TOKEN_OUT_OF_RANGE);
    assertThat(dl.getReason()).contains("256").contains("position 2");
    assertThat(fx.durable().meta("c")).isNull();
  }

  @Test
  void shouldDeadLetterTextOverTheConfiguredLimit() {
    fx.send("c", Events.appendText("x".repeat(101)));
    fx.send("c", Events.appendText("x".repeat(100)));
    assertThat(single().getCode()).isEqualTo(ErrorCode.PAYLOAD_TOO_LARGE);
    assertThat(fx.durable().meta("c").getTokens()).isEqualTo(100);
  }

  @Test
  void shouldDeadLetterInvalidGenerationParameters() {
    fx.send("c", Events.appendText("To be"));
    fx.send(
        "c",
        Events.generate(
            Generate.newBuilder()
                .setRequestId("r1")
                .setSampling(SamplingParams.newBuilder().setTopP(1.5f))
                .build()));
    fx.send(
        "c", Events.generate(Generate.newBuilder().setRequestId("r2").setMaxTokens(51).build()));
    fx.send("c", Events.generate(Generate.newBuilder().setMaxTokens(5).build()));
    fx.send(
        "c",
        Events.generate(Generate.newBuilder().setRequestId("r4").addStopTokenIds(300).build()));
    assertThat(fx.deadLetters())
        .extracting(r -> r.value().getCode())
        .containsExactly(
            ErrorCode.INVALID_PARAMETERS,
            ErrorCode.INVALID_PARAMETERS,
            ErrorCode.INVALID_PARAMETERS,
            ErrorCode.TOKEN_OUT_OF_RANGE);
    assertThat(fx.deadLetters().get(0).value().getReason()).contains("top_p");
    assertThat(fx.replies())
        .filteredOn(Reply::hasError)
        .extracting(Reply::getRequestId)
        .containsExactly("r1", "r2", "", "r4");
  }

  @Test
  void shouldDeadLetterAForkOfAnUnknownConversationAndAGenerateOnAnEmptyOne() {
    fx.send("ghost", Events.fork("copy"));
    fx.send("empty", Events.generateGreedy("g1", 5));
    assertThat(fx.deadLetters())
        .extracting(r -> r.value().getCode())
        .containsExactly(ErrorCode.UNKNOWN_CONVERSATION, ErrorCode.INVALID_PARAMETERS);
    assertThat(fx.deadLetters().get(0).value().getSourceOffset()).isEqualTo(0);
    assertThat(fx.deadLetters().get(1).value().getSourceOffset()).isEqualTo(1);
    assertThat(errorReply("empty").getRequestId()).isEqualTo("g1");
  }

  @Test
  void shouldDeadLetterADuplicateRequestId() {
    fx.send("c", Events.appendText("Hello"));
    fx.send("c", Events.generateGreedy("same", 3));
    fx.settle();
    fx.send("c", Events.generateGreedy("same", 3));
    fx.settle();
    assertThat(single().getCode()).isEqualTo(ErrorCode.DUPLICATE_REQUEST);
    assertThat(fx.replies("same")).filteredOn(Reply::hasDone).hasSize(1);
  }

  @Test
  void shouldDeadLetterASelfForkAndAnEmptyCancel() {
    fx.send("c", Events.appendText("x"));
    fx.send("c", Events.fork("c"));
    fx.send("c", Events.cancel(""));
    assertThat(fx.deadLetters())
        .extracting(r -> r.value().getCode())
        .containsExactly(ErrorCode.INVALID_PARAMETERS, ErrorCode.INVALID_PARAMETERS);
  }

  private DeadLetter single() {
    final List<TestRecord<byte[], DeadLetter>> dls = fx.deadLetters();
    assertThat(dls).hasSize(1);
    return dls.get(0).value();
  }

  private Reply errorReply(final String conversation) {
    return fx.replies().stream()
        .filter(r -> r.getConversationId().equals(conversation) && r.hasError())
        .findFirst()
        .orElseThrow();
  }

  private static byte[] bytes(final String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
