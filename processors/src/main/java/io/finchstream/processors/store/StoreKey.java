package io.finchstream.processors.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Bytes;

/**
 * Binary keys of the multi-record stores: {@code (conversation, index[, part])}, laid out as
 *
 * <pre>
 *   u16 length of the conversation id | conversation id (UTF-8) | u64 index (big-endian) [| u32 part]
 * </pre>
 *
 * so that RocksDB's byte order is (conversation, index, part) order, all records of one
 * conversation share a prefix (range scans and deletes never touch another conversation, even one
 * whose id starts with this one's), and indices sort numerically (they are never negative).
 */
public final class StoreKey {

  /** Longest conversation id, in UTF-8 bytes. */
  public static final int MAX_CONVERSATION_BYTES = 0xFFFF;

  private StoreKey() {}

  /**
   * The key of single-record stores (metadata, generations): the conversation id's UTF-8 bytes,
   * exactly what a {@code StringSerializer} makes of it (so interactive queries can route by it).
   */
  public static Bytes id(final String conversation) {
    return Bytes.wrap(utf8(conversation));
  }

  /** The conversation of a key made by {@link #id}. */
  public static String idToConversation(final Bytes key) {
    return new String(key.get(), StandardCharsets.UTF_8);
  }

  /** The prefix shared by every key of {@code conversation}. */
  public static Bytes prefix(final String conversation) {
    final byte[] id = utf8(conversation);
    return Bytes.wrap(
        ByteBuffer.allocate(2 + id.length).putShort((short) id.length).put(id).array());
  }

  /** {@code (conversation, index)}. */
  public static Bytes of(final String conversation, final long index) {
    checkIndex(index);
    final byte[] id = utf8(conversation);
    return Bytes.wrap(
        ByteBuffer.allocate(2 + id.length + 8)
            .putShort((short) id.length)
            .put(id)
            .putLong(index)
            .array());
  }

  /** {@code (conversation, index, part)}. */
  public static Bytes of(final String conversation, final long index, final int part) {
    checkIndex(index);
    if (part < 0) {
      throw new IllegalArgumentException("part must not be negative: " + part);
    }
    final byte[] id = utf8(conversation);
    return Bytes.wrap(
        ByteBuffer.allocate(2 + id.length + 12)
            .putShort((short) id.length)
            .put(id)
            .putLong(index)
            .putInt(part)
            .array());
  }

  /**
   * The digest-index key {@code (root, digest, conversation)}: {@code u16 length | root UTF-8 |
   * digest | conversation UTF-8}, so that the checkpoints of one tree with one digest share the
   * prefix {@link #digestPrefix}.
   */
  public static Bytes digest(final String root, final byte[] digest, final String conversation) {
    final byte[] prefix = digestPrefix(root, digest).get();
    final byte[] id = utf8(conversation);
    return Bytes.wrap(ByteBuffer.allocate(prefix.length + id.length).put(prefix).put(id).array());
  }

  /** The prefix of every digest-index key of {@code (root, digest)}. */
  public static Bytes digestPrefix(final String root, final byte[] digest) {
    final byte[] r = utf8(root);
    return Bytes.wrap(
        ByteBuffer.allocate(2 + r.length + digest.length)
            .putShort((short) r.length)
            .put(r)
            .put(digest)
            .array());
  }

  /** The conversation of a digest-index key whose digest has {@code digestBytes} bytes. */
  public static String digestConversation(final Bytes key, final int digestBytes) {
    final byte[] k = key.get();
    final int rootLen = Short.toUnsignedInt(ByteBuffer.wrap(k).getShort());
    final int from = 2 + rootLen + digestBytes;
    return new String(k, from, k.length - from, StandardCharsets.UTF_8);
  }

  /** The conversation id of a key. */
  public static String conversation(final Bytes key) {
    final ByteBuffer b = ByteBuffer.wrap(key.get());
    final int len = Short.toUnsignedInt(b.getShort());
    return new String(key.get(), 2, len, StandardCharsets.UTF_8);
  }

  /** The index of a key made by {@link #of(String, long)} or {@link #of(String, long, int)}. */
  public static long index(final Bytes key) {
    final ByteBuffer b = ByteBuffer.wrap(key.get());
    final int len = Short.toUnsignedInt(b.getShort());
    return b.getLong(2 + len);
  }

  /** The part of a key made by {@link #of(String, long, int)}. */
  public static int part(final Bytes key) {
    final ByteBuffer b = ByteBuffer.wrap(key.get());
    final int len = Short.toUnsignedInt(b.getShort());
    return b.getInt(2 + len + 8);
  }

  private static void checkIndex(final long index) {
    if (index < 0) {
      throw new IllegalArgumentException("index must not be negative: " + index);
    }
  }

  private static byte[] utf8(final String conversation) {
    final byte[] id = conversation.getBytes(StandardCharsets.UTF_8);
    if (id.length > MAX_CONVERSATION_BYTES) {
      throw new IllegalArgumentException(
          "conversation id longer than " + MAX_CONVERSATION_BYTES + " bytes");
    }
    return id;
  }
}
