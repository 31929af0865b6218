package io.finchstream.gateway.openai;

import com.google.protobuf.ByteString;
import io.finchstream.gateway.ConversationLookup;
import io.finchstream.proto.AutoConversations;
import io.finchstream.proto.ConversationKeys;
import io.finchstream.proto.MessageHistory;
import io.finchstream.proto.v1.Role;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Predicate;

/**
 * Automatic state reuse for OpenAI clients that resend the whole chat without {@code
 * X-Conversation-Id}. Every chat gets a tree ({@link AutoConversations}: its root id comes from the
 * tenant and the digest of its first messages, up to and including the first user message); the
 * tree's owner finds the conversations that hold the longest prefix of the request's messages
 * (their running digests against its turn checkpoints), and the request goes on from there: in that
 * conversation when it ends exactly there and is free, else in a new branch of the tree forked at
 * that turn (copy-on-write: the nearest snapshot and the tail, not the history), and only the rest
 * of the messages is appended.
 */
public final class AutoReuse {

  private static final SecureRandom RANDOM = new SecureRandom();

  private AutoReuse() {}

  /**
   * The running digests of {@code messages}: element {@code i} after message {@code i}
   * (MessageHistory).
   */
  public static List<byte[]> digests(final List<ChatMessage> messages) {
    final List<byte[]> out = new ArrayList<>(messages.size());
    ByteString running = ByteString.EMPTY;
    for (final ChatMessage m : messages) {
      running = MessageHistory.appendText(running, m.role(), m.text());
      out.add(running.toByteArray());
    }
    return out;
  }

  /**
   * The root id of the chat of {@code tenant} whose messages have running {@code digests}: from the
   * digest after its first user message (after all of them when there is none).
   */
  public static String rootId(
      final String tenant, final List<ChatMessage> messages, final List<byte[]> digests) {
    int first = messages.size() - 1;
    for (int i = 0; i < messages.size(); i++) {
      if (messages.get(i).role() == Role.ROLE_USER) {
        first = i;
        break;
      }
    }
    return AutoConversations.rootId(tenant, ByteString.copyFrom(digests.get(first)));
  }

  /** A new branch id of the tree of {@code rootId}: {@code root~} and 12 random hex digits. */
  public static String newBranch(final String rootId) {
    final byte[] b = new byte[6];
    RANDOM.nextBytes(b);
    return rootId + ConversationKeys.BRANCH_SEPARATOR + HexFormat.of().formatHex(b);
  }

  /**
   * Where a request goes on.
   *
   * @param targetKey the conversation (Kafka key) the new messages are appended to and the reply
   *     generated in
   * @param forkFrom the conversation to fork into {@code targetKey} at {@code held} messages first,
   *     or null
   * @param held messages of the request the service already holds (not appended again)
   * @param cachedTokens the tokens of those messages: reused, not computed again
   */
  public record Plan(String targetKey, String forkFrom, int held, long cachedTokens) {}

  /**
   * The plan for a request given the owner's {@code candidates} (all holding the same, longest,
   * prefix). A candidate that ends exactly there and is not {@code busy} (generating, or answering
   * another request) is continued; otherwise the prefix is forked from one of them into {@code
   * newBranchKey}; with no candidate, {@code newBranchKey} starts empty.
   */
  public static Plan choose(
      final List<ConversationLookup.PrefixCandidate> candidates,
      final Predicate<String> busy,
      final String newBranchKey) {
    if (candidates.isEmpty()) {
      return new Plan(newBranchKey, null, 0, 0);
    }
    for (final ConversationLookup.PrefixCandidate c : candidates) {
      if (c.conversationMessages() == c.messages() && !c.generating() && !busy.test(c.key())) {
        return new Plan(c.key(), null, (int) c.messages(), c.position());
      }
    }
    ConversationLookup.PrefixCandidate source = candidates.get(0);
    for (final ConversationLookup.PrefixCandidate c : candidates) {
      if (!c.generating()) {
        source = c; // a source that is not generating forks at once, without waiting
        break;
      }
    }
    return new Plan(newBranchKey, source.key(), (int) source.messages(), source.position());
  }

  /**
   * Whether the best candidates should be looked at again shortly rather than forked: one that ends
   * exactly at the prefix is generating for a request not in flight here (most likely the reply to
   * this client's previous turn, whose commit the owner's store shows a moment after the client got
   * it).
   */
  public static boolean worthWaiting(
      final List<ConversationLookup.PrefixCandidate> candidates, final Predicate<String> busy) {
    boolean waitable = false;
    for (final ConversationLookup.PrefixCandidate c : candidates) {
      if (c.conversationMessages() == c.messages() && !c.generating() && !busy.test(c.key())) {
        return false;
      }
      if (c.generating() && !busy.test(c.key())) {
        waitable = true;
      }
    }
    return waitable;
  }
}
