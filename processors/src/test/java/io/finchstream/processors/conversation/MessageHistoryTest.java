package io.finchstream.processors.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.testing.Events;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.processors.testing.TopologyFixture;
import io.finchstream.proto.MessageHistory;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.Role;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The message history in the metadata (state.proto {@code messages}, {@code message_digest}): what
 * lets a client that resends the whole chat (the gateway's OpenAI API) append only new messages.
 */
class MessageHistoryTest {

  @TempDir Path dir;

  private final LoadedModel model = TestModels.randomFinch();

  @Test
  void shouldRecordMessagesAndRepliesAsAResentChatDigestsThem() {
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      fx.send("c", Events.appendText("Be brief.", Role.ROLE_SYSTEM));
      fx.send("c", Events.appendText("Hello", Role.ROLE_USER));
      fx.send("c", Events.generateGreedy("r1", 12));
      fx.settle();
      final String reply =
          fx.replies("r1").stream()
              .filter(Reply::hasDone)
              .findFirst()
              .orElseThrow()
              .getDone()
              .getText();
      final ConversationMeta meta = fx.durable().meta("c");
      assertThat(meta.getMessages()).isEqualTo(3);
      assertThat(meta.getMessageDigest())
          .isEqualTo(
              MessageHistory.digestOf(
                  List.of(Role.ROLE_SYSTEM, Role.ROLE_USER, Role.ROLE_ASSISTANT),
                  List.of("Be brief.", "Hello", reply)));
    }
  }

  @Test
  void shouldMakeRawContentUnmatchableAndClearOnReset() {
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      fx.send("c", Events.appendText("Hello", Role.ROLE_USER));
      fx.send("c", Events.appendTokens(1, 2, 3));
      fx.settle();
      final ConversationMeta meta = fx.durable().meta("c");
      assertThat(meta.getMessages()).isEqualTo(2);
      assertThat(meta.getMessageDigest())
          .isNotEqualTo(
              MessageHistory.digestOf(
                  List.of(Role.ROLE_USER, Role.ROLE_USER), List.of("Hello", "")));

      fx.send("c", Events.reset());
      fx.settle();
      assertThat(fx.durable().meta("c").getMessages()).isZero();
      assertThat(fx.durable().meta("c").getMessageDigest().isEmpty()).isTrue();
    }
  }

  @Test
  void shouldCarryTheHistoryIntoAFork() {
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      fx.send("src", Events.appendText("Hello", Role.ROLE_USER));
      fx.send("src", Events.fork("dst"));
      fx.settle();
      assertThat(fx.durable().meta("dst").getMessages()).isEqualTo(1);
      assertThat(fx.durable().meta("dst").getMessageDigest())
          .isEqualTo(fx.durable().meta("src").getMessageDigest());
    }
  }
}
