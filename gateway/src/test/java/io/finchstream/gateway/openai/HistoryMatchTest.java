package io.finchstream.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.gateway.conversation.ApiConversation;
import io.finchstream.gateway.http.ApiException;
import io.finchstream.proto.MessageHistory;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.Role;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HistoryMatchTest {

  private static final ChatMessage SYSTEM = new ChatMessage(Role.ROLE_SYSTEM, "Be brief.");
  private static final ChatMessage HELLO = new ChatMessage(Role.ROLE_USER, "Hello");
  private static final ChatMessage REPLY = new ChatMessage(Role.ROLE_ASSISTANT, "Hi.");
  private static final ChatMessage NEXT = new ChatMessage(Role.ROLE_USER, "Next?");

  /**
   * The conversation after the processors applied these events (the way state.proto says they
   * record them).
   */
  private static Optional<ApiConversation> conversation(
      final long tokens, final ChatMessage... messages) {
    final ConversationMeta.Builder meta = ConversationMeta.newBuilder().setTokens(tokens);
    for (final ChatMessage m : messages) {
      if (m.role() == Role.ROLE_ASSISTANT) {
        MessageHistory.recordReply(
            meta, " " + m.text()); // a generated reply starts with the space after "Assistant:"
      } else {
        MessageHistory.recordText(meta, m.role(), m.text());
      }
    }
    return Optional.of(ApiConversation.of("c", meta.build(), false));
  }

  @Test
  void shouldAppendEverythingToANewConversation() {
    assertThat(HistoryMatch.ingested("c", Optional.empty(), List.of(SYSTEM, HELLO))).isZero();
    assertThat(HistoryMatch.ingested("c", conversation(0), List.of(SYSTEM, HELLO))).isZero();
  }

  @Test
  void shouldSkipTheMessagesTheConversationHolds() {
    assertThat(
            HistoryMatch.ingested(
                "c", conversation(40, SYSTEM, HELLO, REPLY), List.of(SYSTEM, HELLO, REPLY, NEXT)))
        .isEqualTo(3);
    assertThat(
            HistoryMatch.ingested(
                "c", conversation(40, SYSTEM, HELLO, REPLY), List.of(SYSTEM, HELLO, REPLY)))
        .as("a retry of the same history generates again")
        .isEqualTo(3);
  }

  @Test
  void shouldRefuseADivergingOrShorterHistory() {
    final Optional<ApiConversation> held = conversation(40, SYSTEM, HELLO, REPLY);
    assertThatThrownBy(
            () ->
                HistoryMatch.ingested(
                    "c",
                    held,
                    List.of(SYSTEM, new ChatMessage(Role.ROLE_USER, "Hullo"), REPLY, NEXT)))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.error().status()).isEqualTo(409);
              assertThat(e.error().code()).isEqualTo("conversation_history_mismatch");
            });
    assertThatThrownBy(() -> HistoryMatch.ingested("c", held, List.of(SYSTEM, HELLO)))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> assertThat(e.error().message()).contains("already holds 3 messages"));
  }

  @Test
  void shouldRefuseAConversationWhoseContentIsNotAChat() {
    assertThatThrownBy(() -> HistoryMatch.ingested("c", conversation(12), List.of(HELLO)))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> assertThat(e.error().message()).contains("not a chat history"));
    final ConversationMeta.Builder raw = ConversationMeta.newBuilder().setTokens(5);
    MessageHistory.recordText(raw, Role.ROLE_RAW, "Hello");
    assertThatThrownBy(
            () ->
                HistoryMatch.ingested(
                    "c", Optional.of(ApiConversation.of("c", raw.build(), false)), List.of(HELLO)))
        .isInstanceOf(ApiException.class);
  }
}
