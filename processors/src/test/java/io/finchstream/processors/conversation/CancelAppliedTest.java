package io.finchstream.processors.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.testing.Events;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.processors.testing.TopologyFixture;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.Role;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cancel (the chat page's Stop, a client that disconnects) counts as applied to its conversation,
 * so the gateway's read-your-writes wait for it ends at once (reliability audit S3-1): the
 * metadata's last offset reaches the cancel's offset, also when events wait behind the cancelled
 * generation. The input offsets of the test driver count from 0 per topic.
 */
class CancelAppliedTest {

  @TempDir Path dir;

  @Test
  void shouldCountACancelAsAppliedWhenNothingWaits() {
    final LoadedModel model = TestModels.randomFinch();
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      fx.send("s1", Events.appendText("hello", Role.ROLE_USER)); // offset 0
      fx.send("s1", Events.generateUntilCancelled("long", 4000)); // 1
      fx.punctuate(2);
      fx.send("s1", Events.cancel("long")); // 2
      fx.settle();
      assertThat(last(fx.replies("long")).getDone().getFinishReason())
          .isEqualTo(FinishReason.FINISH_REASON_CANCELLED);
      assertThat(fx.durable().meta("s1").getLastOffset()).isEqualTo(2);
    }
  }

  @Test
  void shouldCountACancelAsAppliedOnceTheEventsBeforeItAreApplied() {
    final LoadedModel model = TestModels.randomFinch();
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      fx.send("s2", Events.appendText("hello", Role.ROLE_USER)); // offset 0
      fx.send("s2", Events.generateUntilCancelled("long", 4000)); // 1
      fx.punctuate(2);
      fx.send("s2", Events.appendText("and then?", Role.ROLE_USER)); // 2: waits
      fx.send("s2", Events.cancel("long")); // 3
      fx.settle();
      assertThat(last(fx.replies("long")).getDone().getFinishReason())
          .isEqualTo(FinishReason.FINISH_REASON_CANCELLED);
      assertThat(fx.durable().messages("s2")).as("the waiting message was applied").hasSize(3);
      assertThat(fx.durable().meta("s2").getLastOffset())
          .as("the cancel's offset, not only the message's before it")
          .isEqualTo(3);
    }
  }

  private static Reply last(final List<Reply> replies) {
    assertThat(replies).isNotEmpty();
    return replies.get(replies.size() - 1);
  }
}
