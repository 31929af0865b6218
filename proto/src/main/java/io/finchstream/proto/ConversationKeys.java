package io.finchstream.proto;

import java.nio.charset.StandardCharsets;

/**
 * Conversation ids and the trees they form. An id may name a branch of another conversation: {@code
 * root~branch} (the first {@code ~} separates them). Every conversation of one tree (the root and
 * all {@code root~...} ids) lives in the same partition, because records are partitioned by the
 * root's bytes ({@link #partitionKey}); so a fork from a conversation into a branch of its own tree
 * is applied by the same task, in the same transaction as the Fork event, and the checkpoints of a
 * whole tree can be searched by digest at one owner. An id without {@code ~} is its own root and is
 * partitioned exactly as Kafka's default partitioner does with its UTF-8 bytes.
 */
public final class ConversationKeys {

  /** Separates a tree's root from the rest of a branch id. */
  public static final char BRANCH_SEPARATOR = '~';

  private ConversationKeys() {}

  /** The root of {@code conversationId}'s tree: the part before the first {@code ~}, or the id. */
  public static String root(final String conversationId) {
    final int at = conversationId.indexOf(BRANCH_SEPARATOR);
    return at < 0 ? conversationId : conversationId.substring(0, at);
  }

  /** Whether {@code a} and {@code b} belong to the same tree (and so to the same partition). */
  public static boolean sameTree(final String a, final String b) {
    return root(a).equals(root(b));
  }

  /** The bytes records of {@code conversationId} are partitioned by: its root's UTF-8 bytes. */
  public static byte[] partitionKey(final String conversationId) {
    return root(conversationId).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The partition of {@code conversationId} among {@code partitions}: Kafka's default for keyed
   * records (murmur2 of the key bytes, made positive, modulo the count) applied to the root's
   * bytes.
   */
  public static int partition(final String conversationId, final int partitions) {
    return (murmur2(partitionKey(conversationId)) & 0x7fffffff) % partitions;
  }

  /**
   * MurmurHash2, 32-bit, seed 0x9747b28c, little-endian 4-byte words: the hash Kafka's producer
   * partitions keyed records by.
   */
  static int murmur2(final byte[] data) {
    final int m = 0x5bd1e995;
    final int r = 24;
    final int length = data.length;
    int h = 0x9747b28c ^ length;
    final int words = length / 4;
    for (int i = 0; i < words; i++) {
      final int at = 4 * i;
      int k =
          (data[at] & 0xff)
              | ((data[at + 1] & 0xff) << 8)
              | ((data[at + 2] & 0xff) << 16)
              | ((data[at + 3] & 0xff) << 24);
      k *= m;
      k ^= k >>> r;
      k *= m;
      h *= m;
      h ^= k;
    }
    final int tail = 4 * words;
    final int rest = length % 4;
    if (rest == 3) {
      h ^= (data[tail + 2] & 0xff) << 16;
    }
    if (rest >= 2) {
      h ^= (data[tail + 1] & 0xff) << 8;
    }
    if (rest >= 1) {
      h ^= data[tail] & 0xff;
      h *= m;
    }
    h ^= h >>> 13;
    h *= m;
    h ^= h >>> 15;
    return h;
  }
}
