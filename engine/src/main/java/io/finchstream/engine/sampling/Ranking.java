package io.finchstream.engine.sampling;

import java.util.Arrays;

/**
 * The sampling candidates in rank order — logit descending, ties to the lowest id — sorted lazily:
 * {@link #id(int)} sorts only as deep as it is asked (in growing windows found by quickselect), so
 * a peaked distribution over 65,536 tokens costs O(V) instead of a full sort. The order is a pure
 * function of the logits, however deep the sorting went. Reusable scratch; not thread-safe.
 */
final class Ranking {

  private static final int FIRST_WINDOW = 64;
  private static final int MAX_SELECT_ROUNDS = 64;

  private long[] keys = new long[0]; // (V) rankKey per candidate; keys[0..sorted) in final order
  private int size; // candidates
  private int sorted; // keys[0..sorted) are the smallest keys, sorted
  private long cutoff; // largest key that is a candidate (top-k boundary), or Long.MAX_VALUE

  /**
   * Makes the candidates of {@code logits[0..vocab)}: every finite logit (−∞ is never a candidate),
   * or only the best {@code topK} of them if {@code 0 < topK < count}.
   */
  void reset(final float[] logits, final int vocab, final int topK) {
    if (keys.length < vocab) {
      keys = new long[vocab];
    }
    int n = 0;
    for (int id = 0; id < vocab; id++) {
      if (logits[id] != Float.NEGATIVE_INFINITY) {
        keys[n++] = key(logits[id], id);
      }
    }
    sorted = 0;
    cutoff = Long.MAX_VALUE;
    if (topK > 0 && topK < n) {
      selectSmallest(keys, 0, n, topK);
      n = topK;
      cutoff = Long.MIN_VALUE;
      for (int i = 0; i < n; i++) {
        cutoff = Math.max(cutoff, keys[i]);
      }
    }
    size = n;
  }

  /** Number of candidates. */
  int size() {
    return size;
  }

  /** True if token {@code id} with this logit is a candidate (finite, and within top-k if set). */
  boolean isCandidate(final float logit, final int id) {
    return logit != Float.NEGATIVE_INFINITY && key(logit, id) <= cutoff;
  }

  /** The id at rank {@code rank} (0 = most likely), {@code 0 <= rank < size()}. */
  int id(final int rank) {
    if (rank >= sorted) {
      sortThrough(rank + 1);
    }
    return (int) keys[rank];
  }

  /**
   * Sorts ascending as (logit descending, id ascending); −0.0 and 0.0 are the same logit. The high
   * half is the float's bits mapped so that signed int order = float order, then complemented.
   */
  static long key(final float logit, final int id) {
    final int bits = Float.floatToRawIntBits(logit + 0.0f);
    final int ordered = bits ^ ((bits >> 31) & 0x7FFFFFFF);
    return ((long) ~ordered << 32) | id;
  }

  private void sortThrough(final int need) {
    final int window = Math.min(size, Math.max(need, Math.max(FIRST_WINDOW, sorted * 4)));
    if (window < size) {
      selectSmallest(keys, sorted, size, window - sorted);
    }
    Arrays.sort(keys, sorted, window);
    sorted = window;
  }

  /**
   * Moves the k smallest of keys[from..to) to keys[from..from+k), in any order; keys are distinct.
   */
  static void selectSmallest(final long[] keys, final int from, final int to, final int k) {
    final int target = from + k - 1;
    int lo = from;
    int hi = to - 1;
    for (int round = 0; lo < hi; round++) {
      if (round == MAX_SELECT_ROUNDS) {
        Arrays.sort(keys, lo, hi + 1); // pathological pivots: finish by sorting the rest
        return;
      }
      final long pivot = median(keys[lo], keys[(lo + hi) >>> 1], keys[hi]);
      int i = lo;
      int j = hi;
      while (i <= j) {
        while (keys[i] < pivot) {
          i++;
        }
        while (keys[j] > pivot) {
          j--;
        }
        if (i <= j) {
          final long t = keys[i];
          keys[i++] = keys[j];
          keys[j--] = t;
        }
      }
      if (target <= j) {
        hi = j;
      } else if (target >= i) {
        lo = i;
      } else {
        return;
      }
    }
  }

  private static long median(final long a, final long b, final long c) {
    return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
  }
}
