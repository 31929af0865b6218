package io.finchstream.engine.sampling;

import java.util.Arrays;

/**
 * How often each token has been generated so far in one generation: the input of the repetition,
 * presence and frequency penalties, and (through {@link #total()}) the step index of the next draw.
 *
 * <p>Sparse: memory grows with the number of distinct tokens, not the vocabulary. Distinct tokens
 * are kept in first-seen order, so iterating {@link #tokenAt}/{@link #countAt} is deterministic.
 * Mutable, not thread-safe; rebuild it from the generated ids after a restart ({@link #of}).
 */
public final class TokenCounts {

  private int[] tokens = new int[16]; // distinct tokens, first-seen order
  private int[] counts = new int[16]; // counts[i] belongs to tokens[i]
  private int[] slots = new int[32]; // open addressing: index + 1 into tokens/counts, 0 = empty
  private int distinct;
  private int total;

  /** Empty counts (nothing generated yet). */
  public TokenCounts() {}

  /** Counts of the given tokens, in order (e.g. the ids generated before a crash). */
  public static TokenCounts of(final int... generated) {
    final TokenCounts c = new TokenCounts();
    for (final int token : generated) {
      c.add(token);
    }
    return c;
  }

  /** Records one more occurrence of {@code token} ({@code >= 0}). */
  public void add(final int token) {
    if (token < 0) {
      throw new IllegalArgumentException("token id must be >= 0, got " + token);
    }
    final int slot = find(token);
    if (slots[slot] != 0) {
      counts[slots[slot] - 1]++;
    } else {
      if (distinct == tokens.length) {
        tokens = Arrays.copyOf(tokens, distinct * 2);
        counts = Arrays.copyOf(counts, distinct * 2);
      }
      tokens[distinct] = token;
      counts[distinct] = 1;
      slots[slot] = ++distinct;
      if (distinct * 2 > slots.length) {
        rehash();
      }
    }
    total++;
  }

  /** Occurrences of {@code token} so far (0 if never generated). */
  public int count(final int token) {
    final int index = slots[find(token)];
    return index == 0 ? 0 : counts[index - 1];
  }

  /** Tokens generated so far (with repeats): the step index of the next draw. */
  public int total() {
    return total;
  }

  /** Number of distinct tokens generated so far. */
  public int distinct() {
    return distinct;
  }

  /** The i-th distinct token in first-seen order, {@code 0 <= i < distinct()}. */
  public int tokenAt(final int i) {
    return tokens[checkIndex(i)];
  }

  /** The count of {@link #tokenAt}(i). */
  public int countAt(final int i) {
    return counts[checkIndex(i)];
  }

  /** An independent copy. */
  public TokenCounts copy() {
    final TokenCounts c = new TokenCounts();
    c.tokens = tokens.clone();
    c.counts = counts.clone();
    c.slots = slots.clone();
    c.distinct = distinct;
    c.total = total;
    return c;
  }

  private int checkIndex(final int i) {
    if (i < 0 || i >= distinct) {
      throw new IndexOutOfBoundsException("index " + i + ", distinct tokens " + distinct);
    }
    return i;
  }

  /** The slot holding {@code token}, or the empty slot where it would go. */
  private int find(final int token) {
    final int mask = slots.length - 1;
    int slot = (token * 0x9E3779B9) >>> (32 - Integer.numberOfTrailingZeros(slots.length));
    while (slots[slot] != 0 && tokens[slots[slot] - 1] != token) {
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  private void rehash() {
    slots = new int[slots.length * 2];
    for (int i = 0; i < distinct; i++) {
      slots[find(tokens[i])] = i + 1;
    }
  }
}
