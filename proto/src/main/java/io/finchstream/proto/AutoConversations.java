package io.finchstream.proto;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Automatic conversations: the ones the gateway keeps for OpenAI clients that resend the whole chat
 * without naming a conversation. A chat's tree root is {@code auto-} followed by the hex SHA-256 of
 * its tenant and the running message digest ({@link MessageHistory}) of its first messages (up to
 * and including the first user message), so every turn and every branch of one chat lives under one
 * root, in one partition ({@link ConversationKeys}), and identical histories of two tenants never
 * share a root (besides living under different Kafka keys, {@link TenantKeys}). Branches are {@code
 * root~suffix}.
 *
 * <p>The processors recognise automatic conversations by the id's prefix: they expire after their
 * own idle time and are bounded in number per tenant.
 */
public final class AutoConversations {

  /** Every automatic conversation id starts with this. */
  public static final String ID_PREFIX = "auto-";

  private AutoConversations() {}

  /**
   * The root id of the automatic chat of {@code tenant} whose first messages have {@code digest}.
   */
  public static String rootId(final String tenant, final ByteString digest) {
    final MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (final NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-256", e);
    }
    final byte[] name = tenant.getBytes(StandardCharsets.UTF_8);
    sha.update(new byte[] {(byte) (name.length >>> 8), (byte) name.length});
    sha.update(name);
    sha.update(digest.toByteArray());
    return ID_PREFIX + HexFormat.of().formatHex(sha.digest());
  }

  /** Whether the Kafka key {@code key} (of any tenant) names an automatic conversation. */
  public static boolean isAutomatic(final String key) {
    return TenantKeys.id(key).startsWith(ID_PREFIX);
  }

  /**
   * The prefix every Kafka key of an automatic conversation of {@code key}'s tenant starts with.
   */
  public static String tenantPrefix(final String key) {
    return TenantKeys.prefix(TenantKeys.tenant(key)) + ID_PREFIX;
  }
}
