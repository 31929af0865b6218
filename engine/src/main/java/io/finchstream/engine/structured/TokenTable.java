package io.finchstream.engine.structured;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.IntStream;

/**
 * A vocabulary's token bytes as a byte trie, for walking every token together with a grammar state:
 * a subtree whose prefix the grammar refuses is skipped whole (so the 65,536 World tokens cost one
 * visit per live trie node, not per token byte). Built once per tokenizer; immutable and
 * thread-safe.
 *
 * <p>Nodes are numbered in preorder from the root (0); a node's children are linked in ascending
 * byte order ({@link #firstChild}, {@link #nextSibling}), so a walk reads the arrays forwards.
 * Token 0 (end of text) and tokens without bytes (reserved ids) are not in the trie.
 */
public final class TokenTable {

  private final Tokenizer tokenizer;
  private final int vocabSize;
  private final byte[][] bytes; // (V) each token's bytes
  private final int[] firstChild; // (nodes) -1: leaf
  private final int[] nextSibling; // (nodes) -1: last child
  private final byte[] label; // (nodes) the byte on the edge into the node
  private final int[] token; // (nodes) the token ending here, or -1
  private final AtomicReferenceArray<StringMoves> strings =
      new AtomicReferenceArray<>(StringMoves.POSITIONS); // built on first use

  private TokenTable(final Tokenizer tokenizer) {
    this.tokenizer = tokenizer;
    this.vocabSize = tokenizer.vocabSize();
    this.bytes = new byte[vocabSize][];
    int totalBytes = 0;
    for (int id = 0; id < vocabSize; id++) {
      bytes[id] = id == Tokenizer.END_OF_TEXT ? new byte[0] : tokenizer.tokenBytes(id);
      totalBytes += bytes[id].length;
    }
    final Integer[] order =
        IntStream.range(1, vocabSize)
            .filter(id -> bytes[id].length > 0)
            .boxed()
            .toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparing(id -> bytes[id], Arrays::compareUnsigned));
    final int capacity = totalBytes + 1;
    final int[] first = new int[capacity];
    final int[] next = new int[capacity];
    final byte[] labels = new byte[capacity];
    final int[] tokens = new int[capacity];
    Arrays.fill(first, -1);
    Arrays.fill(next, -1);
    Arrays.fill(tokens, -1);
    final int[] path = new int[129]; // path[d] = node at depth d of the previous token
    final int[] lastChild = new int[capacity];
    Arrays.fill(lastChild, -1);
    int nodes = 1;
    byte[] previous = new byte[0];
    for (final int id : order) {
      final byte[] b = bytes[id];
      if (b.length >= path.length) {
        throw new EngineException("token " + id + " has " + b.length + " bytes; at most 128");
      }
      int shared = 0;
      while (shared < Math.min(b.length, previous.length) && b[shared] == previous[shared]) {
        shared++;
      }
      for (int d = shared; d < b.length; d++) {
        final int parent = path[d];
        final int node = nodes++;
        labels[node] = b[d];
        if (lastChild[parent] < 0) {
          first[parent] = node;
        } else {
          next[lastChild[parent]] = node;
        }
        lastChild[parent] = node;
        path[d + 1] = node;
      }
      tokens[path[b.length]] = id;
      previous = b;
    }
    this.firstChild = Arrays.copyOf(first, nodes);
    this.nextSibling = Arrays.copyOf(next, nodes);
    this.label = Arrays.copyOf(labels, nodes);
    this.token = Arrays.copyOf(tokens, nodes);
    for (int b = 1; b < 256; b++) {
      if (child(0, b) < 0 || token[child(0, b)] < 0) {
        throw new EngineException(
            String.format(
                "vocabulary %s has no token for the single byte 0x%02X; constrained decoding"
                    + " needs one for every byte 0x01..0xFF",
                tokenizer, b));
      }
    }
  }

  /** The table of {@code tokenizer}'s vocabulary (builds the trie; ~100 ms for World). */
  public static TokenTable of(final Tokenizer tokenizer) {
    return new TokenTable(tokenizer);
  }

  /** The tokenizer. */
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /** Token ids are {@code 0 .. vocabSize() - 1}. */
  public int vocabSize() {
    return vocabSize;
  }

  /** Nodes of the trie (the root included). */
  public int nodes() {
    return token.length;
  }

  /** The bytes of {@code id} (shared: do not modify). */
  byte[] bytes(final int id) {
    return bytes[id];
  }

  int firstChild(final int node) {
    return firstChild[node];
  }

  int nextSibling(final int node) {
    return nextSibling[node];
  }

  int label(final int node) {
    return label[node] & 0xFF;
  }

  int token(final int node) {
    return token[node];
  }

  /** What every token does inside an open string at {@code position} (built on first use). */
  StringMoves strings(final int position) {
    StringMoves moves = strings.get(position);
    if (moves == null) {
      moves = StringMoves.of(this, position);
      if (!strings.compareAndSet(position, null, moves)) {
        moves = strings.get(position);
      }
    }
    return moves;
  }

  private int child(final int node, final int b) {
    for (int c = firstChild[node]; c >= 0; c = nextSibling[c]) {
      if (label(c) == b) {
        return c;
      }
    }
    return -1;
  }

  @Override
  public String toString() {
    return "TokenTable[" + tokenizer + ", " + nodes() + " trie nodes]";
  }
}
