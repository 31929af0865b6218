package io.finchstream.gateway.openai;

import com.google.protobuf.ByteString;
import io.finchstream.gateway.StoredMessage;
import io.finchstream.gateway.conversation.ApiConversation;
import io.finchstream.proto.MessageHistory;
import java.util.HexFormat;
import java.util.List;

/**
 * Where a resent chat continues a stored conversation. The conversation records a running digest
 * after every message ({@link MessageHistory}); the request's messages are digested the same way,
 * and the longest common prefix decides: the conversation goes back to the end of that prefix (a
 * Rewind, if the conversation holds more) and only the rest of the request is appended. A
 * regenerated reply, an edited message, a retry after a cut-off reply: each continues from the last
 * message both agree on, never from scratch unless nothing agrees (or the turn is no longer
 * retained: then from the empty conversation).
 */
public final class HistoryMatch {

  private HistoryMatch() {}

  /**
   * What to do with a request.
   *
   * @param rewindTo messages the conversation keeps before the request's are appended, or -1 to
   *     keep all it has
   * @param appendFrom index of the first request message to append
   * @param tokensBefore tokens in the conversation before the appends (after the rewind)
   */
  public record Plan(long rewindTo, int appendFrom, long tokensBefore) {}

  /**
   * {@code plan} with the rewind made explicit: for a conversation whose running generation will
   * still record its reply (a cancelled one finishing), the rewind drops that reply too.
   */
  public static Plan rewinding(final Plan plan) {
    return new Plan(plan.appendFrom(), plan.appendFrom(), plan.tokensBefore());
  }

  /** The plan for a conversation that does not exist yet (or is empty). */
  public static Plan fresh() {
    return new Plan(-1, 0, 0);
  }

  /**
   * The plan when the request continues everything the conversation holds (the common case: the
   * client resends the chat plus one new message), or null when the stored messages must be looked
   * at ({@link #plan}).
   */
  public static Plan continuing(final ApiConversation info, final List<ChatMessage> request) {
    final long n = info.messages();
    if (n == 0) {
      return info.tokens() == 0 ? fresh() : new Plan(0, 0, 0);
    }
    if (n > request.size()) {
      return null;
    }
    return hex(digest(request.subList(0, (int) n))).equals(info.messageDigest())
        ? new Plan(-1, (int) n, info.tokens())
        : null;
  }

  /**
   * The plan from the stored messages from {@code info.firstMessage()} on (in order, as many as the
   * request could share): the longest prefix whose digest is the stored one after a message the
   * conversation can go back to.
   */
  public static Plan plan(
      final ApiConversation info,
      final List<ChatMessage> request,
      final List<StoredMessage> stored) {
    ByteString running = ByteString.EMPTY;
    final String[] requestDigests = new String[request.size()];
    for (int i = 0; i < request.size(); i++) {
      running = MessageHistory.appendText(running, request.get(i).role(), request.get(i).text());
      requestDigests[i] = hex(running);
    }
    long best = 0;
    for (final StoredMessage m : stored) {
      final long n = m.index() + 1;
      if (n <= request.size()
          && m.reachable()
          && m.digestHex().equals(requestDigests[(int) m.index()])) {
        best = Math.max(best, n);
      }
    }
    long before = 0;
    for (final StoredMessage m : stored) {
      if (m.index() == best - 1) {
        before = m.end();
      }
    }
    return new Plan(best < info.messages() ? best : -1, (int) best, before);
  }

  private static ByteString digest(final List<ChatMessage> messages) {
    return MessageHistory.digestOf(
        messages.stream().map(ChatMessage::role).toList(),
        messages.stream().map(ChatMessage::text).toList());
  }

  private static String hex(final ByteString digest) {
    return HexFormat.of().formatHex(digest.toByteArray());
  }
}
