package io.finchstream.proto;

import com.google.protobuf.ByteString;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.Role;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * The running digest of a conversation's message history ({@code ConversationMeta.messages} and
 * {@code message_digest}, state.proto). The processors fold every event that appends to a
 * conversation into it; the gateway computes the same digest over the messages a client resends
 * (OpenAI-style APIs send the whole chat every time) to find which of them are already ingested.
 *
 * <p>Entry {@code i} of the history changes the digest {@code d} to
 *
 * <pre>
 *   d' = SHA-256( d (32 bytes; 32 zero bytes for the empty history)
 *              || kind (int32, big-endian) || length (int32) || content )
 * </pre>
 *
 * where a chat message (role USER, ASSISTANT or SYSTEM) has {@code kind} = the role's number and
 * {@code content} = the UTF-8 text with leading and trailing white space removed ({@link
 * String#strip}), so the space a model emits after {@code "Assistant:"} does not matter. Anything
 * else (RAW or UNSPECIFIED text, raw token ids) is an opaque entry ({@code kind} -1 for text, -2
 * for tokens as big-endian int32s): no list of chat messages produces the digest of a history that
 * holds one, so such a conversation never matches a resent chat. A finished generation is one
 * ASSISTANT message whose text is the reply text ({@code GenerationDone.text}).
 *
 * <p>The empty history has {@code messages} = 0 and an empty digest.
 */
public final class MessageHistory {

  /** Bytes of a non-empty digest. */
  public static final int DIGEST_BYTES = 32;

  private static final int KIND_OPAQUE_TEXT = -1;
  private static final int KIND_OPAQUE_TOKENS = -2;
  private static final byte[] ZERO = new byte[DIGEST_BYTES];

  private MessageHistory() {}

  /** True for the roles that make a chat message (USER, ASSISTANT, SYSTEM). */
  public static boolean isChatRole(final Role role) {
    return role == Role.ROLE_USER || role == Role.ROLE_ASSISTANT || role == Role.ROLE_SYSTEM;
  }

  /** The digest after appending {@code text} spoken by {@code role} (opaque unless a chat role). */
  public static ByteString appendText(final ByteString digest, final Role role, final String text) {
    if (isChatRole(role)) {
      return fold(digest, role.getNumber(), text.strip().getBytes(StandardCharsets.UTF_8));
    }
    return fold(digest, KIND_OPAQUE_TEXT, text.getBytes(StandardCharsets.UTF_8));
  }

  /** The digest after appending raw token ids (always an opaque entry). */
  public static ByteString appendTokens(final ByteString digest, final List<Integer> ids) {
    final ByteBuffer content = ByteBuffer.allocate(4 * ids.size());
    for (final int id : ids) {
      content.putInt(id);
    }
    return fold(digest, KIND_OPAQUE_TOKENS, content.array());
  }

  /** The digest of a list of chat messages from the empty history. */
  public static ByteString digestOf(final List<Role> roles, final List<String> texts) {
    if (roles.size() != texts.size()) {
      throw new IllegalArgumentException(
          "roles and texts differ in length: " + roles.size() + " vs " + texts.size());
    }
    ByteString d = ByteString.EMPTY;
    for (int i = 0; i < roles.size(); i++) {
      d = appendText(d, roles.get(i), texts.get(i));
    }
    return d;
  }

  /** Records an AppendText in {@code meta}: one more entry. */
  public static ConversationMeta.Builder recordText(
      final ConversationMeta.Builder meta, final Role role, final String text) {
    return meta.setMessages(meta.getMessages() + 1)
        .setMessageDigest(appendText(meta.getMessageDigest(), role, text));
  }

  /** Records an AppendTokens in {@code meta}: one more (opaque) entry. */
  public static ConversationMeta.Builder recordTokens(
      final ConversationMeta.Builder meta, final List<Integer> ids) {
    return meta.setMessages(meta.getMessages() + 1)
        .setMessageDigest(appendTokens(meta.getMessageDigest(), ids));
  }

  /** Records a finished generation in {@code meta}: one more ASSISTANT message, the reply text. */
  public static ConversationMeta.Builder recordReply(
      final ConversationMeta.Builder meta, final String replyText) {
    return recordText(meta, Role.ROLE_ASSISTANT, replyText);
  }

  /** Records a Reset in {@code meta}: the empty history. */
  public static ConversationMeta.Builder clear(final ConversationMeta.Builder meta) {
    return meta.setMessages(0).setMessageDigest(ByteString.EMPTY);
  }

  private static ByteString fold(final ByteString digest, final int kind, final byte[] content) {
    if (!digest.isEmpty() && digest.size() != DIGEST_BYTES) {
      throw new IllegalArgumentException(
          "a message digest has " + DIGEST_BYTES + " bytes, got " + digest.size());
    }
    final MessageDigest sha = sha256();
    sha.update(digest.isEmpty() ? ZERO : digest.toByteArray());
    sha.update(ByteBuffer.allocate(8).putInt(kind).putInt(content.length).array());
    sha.update(content);
    return ByteString.copyFrom(sha.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (final NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-256", e);
    }
  }
}
