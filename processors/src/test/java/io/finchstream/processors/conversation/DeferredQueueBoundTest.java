package io.finchstream.processors.conversation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.testing.DurableState;
import io.finchstream.processors.testing.Events;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.processors.testing.TopologyFixture;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.Refusal;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.Role;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The events waiting behind a running generation are bounded per conversation ({@code
 * max.deferred.events}, reliability audit S2-2): beyond the bound an event is refused (dead letter
 * DEFERRED_QUEUE_FULL, an Error reply for a Generate) and counts as applied; a Delete is never
 * refused; the events within the bound are applied in order once the generation ends.
 */
class DeferredQueueBoundTest {

  @TempDir Path dir;

  @Test
  void shouldRefuseEventsBeyondTheBoundAndKeepTheOthersInOrder() {
    final LoadedModel model = TestModels.randomFinch();
    try (TopologyFixture fx = new TopologyFixture(model, Map.of("max.deferred.events", 3), dir)) {
      fx.send("q", Events.appendText("x", Role.ROLE_USER)); // offset 0
      fx.send("q", Events.generateUntilCancelled("long", 4000)); // 1
      fx.punctuate(2);
      for (int i = 0; i < 5; i++) {
        fx.send("q", withId(Events.appendText("waiting " + i, Role.ROLE_USER), "w" + i)); // 2..6
      }
      fx.send("q", withId(Events.generateGreedy("late", 3), "g")); // 7: beyond the bound
      assertThat(fx.deadLetters())
          .extracting(d -> d.getValue().getCode())
          .containsExactly(
              ErrorCode.DEFERRED_QUEUE_FULL,
              ErrorCode.DEFERRED_QUEUE_FULL,
              ErrorCode.DEFERRED_QUEUE_FULL);
      final List<Reply> late = fx.replies("late");
      assertThat(late).hasSize(1);
      assertThat(late.get(0).getError().getCode()).isEqualTo(ErrorCode.DEFERRED_QUEUE_FULL);
      assertThat(fx.durable().meta("q").getLastOffset())
          .as("a refused event counts as applied (no read waits for it)")
          .isEqualTo(7);
      assertThat(fx.durable().meta("q").getRefusalsList())
          .as("the refusals a client reads back with its conversation")
          .extracting(Refusal::getEventId, r -> r.getOrigin().getOffset(), Refusal::getCode)
          .containsExactly(
              tuple("w3", 5L, ErrorCode.DEFERRED_QUEUE_FULL),
              tuple("w4", 6L, ErrorCode.DEFERRED_QUEUE_FULL),
              tuple("g", 7L, ErrorCode.DEFERRED_QUEUE_FULL));
      assertThat(fx.durable().meta("q").getRefusals(0).getMessage())
          .contains("max.deferred.events=3");

      fx.send("q", Events.cancel("long")); // 8
      fx.settle();
      assertThat(fx.durable().messages("q"))
          .extracting(DeferredQueueBoundTest::text)
          .containsExactly("x", "(reply)", "waiting 0", "waiting 1", "waiting 2");
      assertThat(fx.durable().meta("q").getLastOffset()).isEqualTo(8);
    }
  }

  @Test
  void shouldKeepOnlyTheLatestRefusals() {
    final LoadedModel model = TestModels.randomFinch();
    try (TopologyFixture fx = new TopologyFixture(model, Map.of("max.deferred.events", 1), dir)) {
      fx.send("r", Events.appendText("x", Role.ROLE_USER)); // offset 0
      fx.send("r", Events.generateUntilCancelled("long", 4000)); // 1
      fx.punctuate(2);
      fx.send("r", Events.appendText("waits", Role.ROLE_USER)); // 2: the one that may wait
      for (int i = 0; i < Refusals.MAX + 3; i++) {
        fx.send("r", withId(Events.appendText("refused " + i, Role.ROLE_USER), "e" + i)); // 3..
      }
      assertThat(fx.durable().meta("r").getRefusalsList())
          .extracting(Refusal::getEventId)
          .as("the latest %d, oldest first", Refusals.MAX)
          .containsExactly("e3", "e4", "e5", "e6", "e7", "e8", "e9", "e10");
      fx.send("r", Events.cancel("long"));
      fx.settle();
      fx.send("r", Events.fork("r2"));
      fx.settle();
      assertThat(fx.durable().meta("r2").getRefusalsList()).as("a fork starts without").isEmpty();
    }
  }

  @Test
  void shouldNeverRefuseADelete() {
    final LoadedModel model = TestModels.randomFinch();
    try (TopologyFixture fx = new TopologyFixture(model, Map.of("max.deferred.events", 1), dir)) {
      fx.send("d", Events.appendText("x", Role.ROLE_USER));
      fx.send("d", Events.generateUntilCancelled("long", 4000));
      fx.punctuate(2);
      fx.send("d", Events.appendText("waits", Role.ROLE_USER));
      fx.send("d", Events.delete());
      fx.settle();
      assertThat(fx.deadLetters()).isEmpty();
      assertThat(fx.durable().meta("d")).isNull();
    }
  }

  private static ConversationEvent withId(final ConversationEvent event, final String id) {
    return event.toBuilder().setEventId(id).build();
  }

  /** A stored message's text; a reply (whatever the random model said) as "(reply)". */
  private static String text(final DurableState.StoredMessage m) {
    return m.checkpoint().getRole() == Role.ROLE_ASSISTANT ? "(reply)" : m.text();
  }
}
