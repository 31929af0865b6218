package io.finchstream.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.finchstream.gateway.StoredMessage;
import io.finchstream.gateway.conversation.ApiConversation;
import io.finchstream.proto.MessageHistory;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.Role;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class HistoryMatchTest {

  private static final ChatMessage SYSTEM = new ChatMessage(Role.ROLE_SYSTEM, "Be brief.");
  private static final ChatMessage HELLO = new ChatMessage(Role.ROLE_USER, "Hello");
  private static final ChatMessage REPLY = new ChatMessage(Role.ROLE_ASSISTANT, "Hi.");
  private static final ChatMessage NEXT = new ChatMessage(Role.ROLE_USER, "Next?");

  /** A stored conversation: its metadata and stored messages (10 tokens each). */
  private record Held(ApiConversation info, List<StoredMessage> stored) {}

  /**
   * The conversation after the processors applied these messages (the way state.proto says they
   * record them); messages before {@code first} have no record any more.
   */
  private static Held held(final long first, final ChatMessage... messages) {
    final ConversationMeta.Builder meta = ConversationMeta.newBuilder().setFirstMessage(first);
    final List<StoredMessage> stored = new ArrayList<>();
    ByteString d = ByteString.EMPTY;
    for (int i = 0; i < messages.length; i++) {
      final ChatMessage m = messages[i];
      // a generated reply starts with the space after "Assistant:"
      final String text = m.role() == Role.ROLE_ASSISTANT ? " " + m.text() : m.text();
      d = MessageHistory.appendText(d, m.role(), text);
      MessageHistory.recordText(meta, m.role(), text);
      meta.setTokens(meta.getTokens() + 10);
      if (i >= first) {
        stored.add(
            new StoredMessage(
                i,
                "x",
                text,
                false,
                10,
                meta.getTokens(),
                HexFormat.of().formatHex(d.toByteArray()),
                true,
                true));
      }
    }
    return new Held(ApiConversation.of("c", meta.build(), false), stored);
  }

  private static HistoryMatch.Plan plan(final Held h, final List<ChatMessage> request) {
    final HistoryMatch.Plan whole = HistoryMatch.continuing(h.info(), request);
    return whole != null ? whole : HistoryMatch.plan(h.info(), request, h.stored());
  }

  @Test
  void shouldAppendEverythingToANewConversation() {
    assertThat(HistoryMatch.continuing(held(0).info(), List.of(SYSTEM, HELLO)))
        .isEqualTo(new HistoryMatch.Plan(-1, 0, 0));
  }

  @Test
  void shouldSkipTheMessagesTheConversationHoldsWithoutLookingAtThem() {
    final Held h = held(0, SYSTEM, HELLO, REPLY);
    assertThat(HistoryMatch.continuing(h.info(), List.of(SYSTEM, HELLO, REPLY, NEXT)))
        .isEqualTo(new HistoryMatch.Plan(-1, 3, 30));
    assertThat(HistoryMatch.continuing(h.info(), List.of(SYSTEM, HELLO, REPLY)))
        .as("a retry of the same history generates again")
        .isEqualTo(new HistoryMatch.Plan(-1, 3, 30));
  }

  @Test
  void shouldRewindToTheLongestCommonPrefix() {
    final Held h = held(0, SYSTEM, HELLO, REPLY, NEXT, REPLY);
    assertThat(plan(h, List.of(SYSTEM, HELLO, REPLY, NEXT)))
        .as("regenerate the last reply")
        .isEqualTo(new HistoryMatch.Plan(4, 4, 40));
    assertThat(plan(h, List.of(SYSTEM, new ChatMessage(Role.ROLE_USER, "Hullo"), REPLY, NEXT)))
        .as("an edited message")
        .isEqualTo(new HistoryMatch.Plan(1, 1, 10));
    assertThat(plan(h, List.of(new ChatMessage(Role.ROLE_SYSTEM, "Be long."), HELLO)))
        .as("nothing in common")
        .isEqualTo(new HistoryMatch.Plan(0, 0, 0));
  }

  @Test
  void shouldStartOverWhenTheCommonTurnIsNoLongerRetained() {
    final Held h = held(3, SYSTEM, HELLO, REPLY, NEXT, REPLY);
    assertThat(plan(h, List.of(SYSTEM, HELLO, REPLY, NEXT)))
        .isEqualTo(new HistoryMatch.Plan(4, 4, 40));
    assertThat(plan(h, List.of(SYSTEM, HELLO, new ChatMessage(Role.ROLE_ASSISTANT, "Ho."))))
        .as("message 1 ends before the oldest retained turn")
        .isEqualTo(new HistoryMatch.Plan(0, 0, 0));
  }

  @Test
  void shouldStartOverOnContentThatIsNotAChat() {
    final ConversationMeta.Builder raw = ConversationMeta.newBuilder().setTokens(5);
    MessageHistory.recordText(raw, Role.ROLE_RAW, "Hello");
    final ApiConversation info = ApiConversation.of("c", raw.build(), false);
    assertThat(HistoryMatch.continuing(info, List.of(HELLO))).isNull();
    assertThat(HistoryMatch.plan(info, List.of(HELLO), List.of()))
        .isEqualTo(new HistoryMatch.Plan(0, 0, 0));
    assertThat(
            HistoryMatch.continuing(
                ApiConversation.of("c", ConversationMeta.newBuilder().setTokens(12).build(), false),
                List.of(HELLO)))
        .as("tokens without messages")
        .isEqualTo(new HistoryMatch.Plan(0, 0, 0));
  }
}
