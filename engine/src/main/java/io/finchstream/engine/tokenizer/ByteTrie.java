package io.finchstream.engine.tokenizer;

import java.util.Arrays;

/**
 * A byte trie for greedy longest-prefix matching (finch-math.md §4.2, the "TRIE version").
 *
 * <p>Nodes are numbered from 1 (0 means "no node"). The 256 children of the root sit in a direct
 * table; deeper edges live in one open-addressing hash table keyed by {@code node << 8 | byte},
 * which keeps the ~10^5 nodes of the World vocab in a few MB instead of 256 slots per node.
 */
final class ByteTrie {

  private static final int NONE = 0;

  private final int[] rootChild = new int[256]; // first byte → node
  private final int[] edgeKeys; // (node << 8 | byte) or 0 = empty slot
  private final int[] edgeNodes; // child node for edgeKeys[slot]
  private final int edgeMask;
  private final int
      edgeShift; // 32 - log2(capacity): the hash takes the top bits of a multiplicative mix
  private final int[] tokenAt; // node → token id ending there, or -1
  private int nodes; // nodes used, ids 1..nodes

  /** A trie with room for tokens of {@code totalBytes} bytes in all (an upper bound on nodes). */
  ByteTrie(final int totalBytes) {
    int capacity = 16;
    while (capacity < 2 * totalBytes) {
      capacity <<= 1;
    }
    if (capacity <= 0 || totalBytes >= (1 << 23)) {
      throw new IllegalArgumentException(
          "vocabulary too large for the trie: " + totalBytes + " bytes");
    }
    edgeKeys = new int[capacity];
    edgeNodes = new int[capacity];
    edgeMask = capacity - 1;
    edgeShift = 32 - Integer.numberOfTrailingZeros(capacity);
    tokenAt = new int[totalBytes + 1];
    Arrays.fill(tokenAt, -1);
  }

  /**
   * Adds token {@code id} = {@code bytes[from .. from+length)}; a later id with the same bytes
   * wins.
   */
  void insert(final byte[] bytes, final int from, final int length, final int id) {
    int node = rootChild[bytes[from] & 0xFF];
    if (node == NONE) {
      node = ++nodes;
      rootChild[bytes[from] & 0xFF] = node;
    }
    for (int i = from + 1; i < from + length; i++) {
      final int b = bytes[i] & 0xFF;
      int child = child(node, b);
      if (child == NONE) {
        child = ++nodes;
        putEdge(node, b, child);
      }
      node = child;
    }
    tokenAt[node] = id;
  }

  /**
   * The longest token that is a prefix of {@code text[pos..end)} ({@code pos < end}).
   *
   * @return {@code (long) length << 32 | id} (read with {@link #matchId} and {@link #matchLength}),
   *     or -1 if no token matches
   */
  long longestMatch(final byte[] text, final int pos, final int end) {
    int node = rootChild[text[pos] & 0xFF];
    long best = -1;
    int p = pos;
    while (node != NONE) {
      p++;
      if (tokenAt[node] >= 0) {
        best = (long) (p - pos) << 32 | tokenAt[node];
      }
      if (p == end) {
        break;
      }
      node = child(node, text[p] & 0xFF);
    }
    return best;
  }

  /** Token id of a {@link #longestMatch} result. */
  static int matchId(final long match) {
    return (int) match;
  }

  /** Length in bytes of a {@link #longestMatch} result. */
  static int matchLength(final long match) {
    return (int) (match >>> 32);
  }

  private int child(final int node, final int b) {
    final int key = node << 8 | b;
    for (int slot = hash(key); ; slot = (slot + 1) & edgeMask) {
      final int k = edgeKeys[slot];
      if (k == key) {
        return edgeNodes[slot];
      }
      if (k == 0) {
        return NONE;
      }
    }
  }

  private void putEdge(final int node, final int b, final int child) {
    final int key = node << 8 | b;
    int slot = hash(key);
    while (edgeKeys[slot] != 0) {
      slot = (slot + 1) & edgeMask;
    }
    edgeKeys[slot] = key;
    edgeNodes[slot] = child;
  }

  private int hash(final int key) {
    return (key * 0x9E3779B9) >>> edgeShift;
  }
}
