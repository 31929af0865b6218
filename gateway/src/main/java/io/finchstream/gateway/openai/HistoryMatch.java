package io.finchstream.gateway.openai;

import io.finchstream.gateway.conversation.ApiConversation;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.proto.MessageHistory;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Which messages of a resent chat the conversation already holds. The conversation's metadata
 * records how many messages it has ingested and a running digest of them ({@link MessageHistory});
 * the request's first that-many messages must have the same digest, and only the rest are appended.
 * Anything else is refused with 409: silently appending a diverging history would answer a
 * different chat than the client shows.
 */
public final class HistoryMatch {

  private HistoryMatch() {}

  /**
   * @return how many of {@code messages} the conversation already holds (0 for a new one)
   * @throws io.finchstream.gateway.http.ApiException 409 when the request does not continue the
   *     conversation
   */
  public static int ingested(
      final String conversationId,
      final Optional<ApiConversation> conversation,
      final List<ChatMessage> messages) {
    if (conversation.isEmpty()) {
      return 0;
    }
    final ApiConversation info = conversation.get();
    if (info.messages() == 0) {
      if (info.tokens() > 0) {
        throw mismatch(
            "conversation '"
                + conversationId
                + "' holds content that is not a chat history; use a new X-Conversation-Id");
      }
      return 0;
    }
    if (info.messages() > messages.size()) {
      throw mismatch(
          "conversation '"
              + conversationId
              + "' already holds "
              + info.messages()
              + " messages, but the request has only "
              + messages.size()
              + "; send the whole history, or use a new X-Conversation-Id");
    }
    final int n = (int) info.messages();
    final List<ChatMessage> prefix = messages.subList(0, n);
    final String digest =
        HexFormat.of()
            .formatHex(
                MessageHistory.digestOf(
                        prefix.stream().map(ChatMessage::role).toList(),
                        prefix.stream().map(ChatMessage::text).toList())
                    .toByteArray());
    if (!digest.equals(info.messageDigest())) {
      throw mismatch(
          "the first "
              + n
              + " messages of the request differ from the "
              + n
              + " messages conversation '"
              + conversationId
              + "' holds (edited or regenerated history, or a reply that was cut off); send the history as the conversation has it,"
              + " or use a new X-Conversation-Id");
    }
    return n;
  }

  private static RuntimeException mismatch(final String message) {
    return ApiError.conflict("conversation_history_mismatch", message).exception();
  }
}
