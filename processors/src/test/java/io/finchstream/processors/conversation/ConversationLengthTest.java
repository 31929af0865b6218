package io.finchstream.processors.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.testing.Events;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.processors.testing.TopologyFixture;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.Reply;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A conversation's length is bounded ({@code max.conversation.tokens}, issue 14): an append past
 * the bound is refused and listed in the conversation's refusals, a generation is cut to end at the
 * bound (finish reason length), a Generate without room for one reply token is refused; by default
 * the bound follows the model (none for Finch; for GoldFinch, what fits in the hot-state memory).
 */
class ConversationLengthTest {

  @TempDir Path dir;

  @Test
  void shouldRefuseAnAppendPastTheBoundAndCutAGenerationAtIt() {
    final LoadedModel model = TestModels.randomFinch();
    try (TopologyFixture fx =
        new TopologyFixture(model, Map.of("max.conversation.tokens", 64L), dir)) {
      fx.send("b", Events.appendTokens(range(40))); // 40 tokens
      fx.send("b", withId(Events.appendTokens(range(30)), "too-much")); // 70 > 64: refused
      fx.settle();
      assertThat(fx.durable().meta("b").getTokens()).isEqualTo(40);
      assertThat(fx.deadLetters())
          .extracting(d -> d.getValue().getCode())
          .containsExactly(ErrorCode.CONVERSATION_TOO_LONG);
      assertThat(fx.durable().meta("b").getRefusalsList())
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.getEventId()).isEqualTo("too-much");
                assertThat(r.getCode()).isEqualTo(ErrorCode.CONVERSATION_TOO_LONG);
                assertThat(r.getMessage()).contains("max.conversation.tokens=64");
              });

      fx.send("b", Events.generateUntilCancelled("reply", 100));
      fx.settle();
      final GenerationDone done = last(fx.replies("reply")).getDone();
      assertThat(done.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_LENGTH);
      assertThat(done.getUsage().getCompletionTokens()).as("cut to end at the bound").isEqualTo(24);
      assertThat(fx.durable().meta("b").getTokens()).isEqualTo(64);

      fx.send("b", Events.generateGreedy("no-room", 5));
      fx.settle();
      assertThat(last(fx.replies("no-room")).getError().getCode())
          .isEqualTo(ErrorCode.CONVERSATION_TOO_LONG);
      assertThat(fx.durable().meta("b").getTokens()).isEqualTo(64);
    }
  }

  @Test
  void shouldBoundByTheModelByDefault() {
    final LanguageModel finch = TestModels.randomFinch().model();
    assertThat(LengthBound.of(-1, finch, 1 << 20).maxTokens()).isEqualTo(Long.MAX_VALUE);
    assertThat(LengthBound.of(0, finch, 1 << 20).maxTokens()).isEqualTo(Long.MAX_VALUE);
    assertThat(LengthBound.of(1000, finch, 1 << 20).maxTokens()).isEqualTo(1000);

    final LoadedModel goldfinch = TestModels.randomGoldFinch();
    final long hot = 4L << 20;
    final LengthBound bound = LengthBound.of(-1, goldfinch.model(), hot);
    assertThat(goldfinch.info().memoryBytesPerToken()).isPositive();
    assertThat(bound.maxTokens()).isBetween(1L, Long.MAX_VALUE - 1);
    assertThat(LengthBound.of(0, goldfinch.model(), hot).maxTokens()).isEqualTo(Long.MAX_VALUE);

    // a GoldFinch state of the bound's length, its derived keys computed, fits in the memory
    final ModelState state = goldfinch.model().newState();
    goldfinch.model().ingest(List.of(state), List.of(range((int) bound.maxTokens())));
    goldfinch.model().logits(List.of(state), new float[1][goldfinch.info().vocabSize()]);
    assertThat(state.derivedBytes()).as("derived keys are counted").isPositive();
    assertThat(state.memoryBytes()).isLessThanOrEqualTo(hot);
    assertThat(state.memoryBytes())
        .as("and the bound is not far below what fits")
        .isGreaterThan(hot * 9 / 10);
  }

  private static int[] range(final int n) {
    final int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = 'a' + i % 26;
    }
    return ids;
  }

  private static ConversationEvent withId(final ConversationEvent event, final String id) {
    return event.toBuilder().setEventId(id).build();
  }

  private static Reply last(final List<Reply> replies) {
    assertThat(replies).isNotEmpty();
    return replies.get(replies.size() - 1);
  }
}
