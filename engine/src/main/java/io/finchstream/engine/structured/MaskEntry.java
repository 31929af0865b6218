package io.finchstream.engine.structured;

import java.util.Arrays;

/**
 * The tokens allowed in one {@link ParseState}, with what each costs the output's budget: computed
 * once per state by walking the {@link TokenTable} trie, then applied to every draw in that state.
 *
 * <p>The budget rule: with {@code r} tokens left (this one included) and {@code m} = the fewest
 * bytes that complete the value from here, a token is allowed only if the fewest bytes after it are
 * at most {@code r − 1}. Every byte 0x01..0xFF is a token, so bytes bound tokens, and the rule
 * keeps {@code m ≤ r} from one draw to the next: a value started with {@code max_tokens ≥ m} always
 * completes. Tokens are sorted into three kinds by the fewest bytes after them: fewer than {@code
 * m} ({@link #progress}, always allowed), exactly {@code m} (allowed while {@code r > m}), more
 * ({@link #growers}, allowed while their cost fits).
 */
final class MaskEntry {

  /** Allowed tokens are listed instead of a bitmap when they are at most V / this. */
  private static final int SPARSE_FRACTION = 64;

  private final int vocab;
  private final int minBytes; // m of the state
  private final long[] bits; // allowed tokens as a bitmap, or null when sparse
  private final int[] sparse; // allowed tokens ascending, when bits is null
  private final int[] progress; // allowed tokens with fewer than m bytes after them
  private final int[] growers; // allowed tokens with more than m bytes after them
  private final int[] growerCost; // their fewest bytes after
  private final int maxGrowerCost; // -1 when there are none
  private final int allowed;

  private MaskEntry(final Builder b) {
    this.vocab = b.vocab;
    this.minBytes = b.minBytes;
    this.allowed = b.count;
    this.progress = Arrays.copyOf(b.progress, b.progressSize);
    this.growers = Arrays.copyOf(b.growers, b.growerSize);
    this.growerCost = Arrays.copyOf(b.growerCost, b.growerSize);
    int max = -1;
    for (final int c : growerCost) {
      max = Math.max(max, c);
    }
    this.maxGrowerCost = max;
    if (b.count <= vocab / SPARSE_FRACTION) {
      this.bits = null;
      this.sparse = new int[b.count];
      int n = 0;
      for (int w = 0; w < b.bits.length; w++) {
        for (long word = b.bits[w]; word != 0; word &= word - 1) {
          sparse[n++] = (w << 6) + Long.numberOfTrailingZeros(word);
        }
      }
    } else {
      this.bits = b.bits;
      this.sparse = null;
    }
  }

  /** Tokens allowed when the budget is not tight. */
  int allowed() {
    return allowed;
  }

  /** Fewest bytes that complete the value from this state. */
  int minBytes() {
    return minBytes;
  }

  /** Approximate heap bytes held. */
  long memoryBytes() {
    return 64L
        + (bits == null ? 4L * sparse.length : 8L * bits.length)
        + 4L * progress.length
        + 8L * growers.length;
  }

  /**
   * Sets every logit whose token is not allowed with {@code remaining} tokens left to −∞.
   *
   * @param scratch at least as long as the allowed tokens when sparse; grown and returned
   */
  float[] apply(final float[] logits, final int remaining, final float[] scratch) {
    if (remaining <= minBytes) {
      return keepOnly(logits, progress, scratch);
    }
    final float[] out;
    if (bits == null) {
      out = keepOnly(logits, sparse, scratch);
    } else {
      maskBits(logits);
      out = scratch;
    }
    if (maxGrowerCost > remaining - 1) {
      for (int i = 0; i < growers.length; i++) {
        if (growerCost[i] > remaining - 1) {
          logits[growers[i]] = Float.NEGATIVE_INFINITY;
        }
      }
    }
    return out;
  }

  private void maskBits(final float[] logits) {
    for (int w = 0; w < bits.length; w++) {
      long off = ~bits[w];
      final int base = w << 6;
      while (off != 0) {
        final int id = base + Long.numberOfTrailingZeros(off);
        if (id >= vocab) {
          break;
        }
        logits[id] = Float.NEGATIVE_INFINITY;
        off &= off - 1;
      }
    }
  }

  private static float[] keepOnly(final float[] logits, final int[] ids, final float[] scratch) {
    final float[] saved = scratch.length >= ids.length ? scratch : new float[ids.length];
    for (int i = 0; i < ids.length; i++) {
      saved[i] = logits[ids[i]];
    }
    Arrays.fill(logits, Float.NEGATIVE_INFINITY);
    for (int i = 0; i < ids.length; i++) {
      logits[ids[i]] = saved[i];
    }
    return saved;
  }

  /** Collects the allowed tokens of one state during a trie walk. */
  static final class Builder {
    private final int vocab;
    private final int minBytes;
    private final long[] bits;
    private int count;
    private int[] progress = new int[16];
    private int progressSize;
    private int[] growers = new int[16];
    private int[] growerCost = new int[16];
    private int growerSize;

    Builder(final int vocab, final int minBytes) {
      this.vocab = vocab;
      this.minBytes = minBytes;
      this.bits = new long[(vocab + 63) >>> 6];
    }

    /** Token {@code id} is allowed; {@code after} = fewest bytes after it. */
    void allow(final int id, final int after) {
      bits[id >>> 6] |= 1L << id;
      count++;
      classify(id, after);
    }

    /** Every token of {@code tokens} ({@code count} of them, none allowed yet) is allowed. */
    void allowAll(final long[] tokens, final int n) {
      for (int w = 0; w < bits.length; w++) {
        bits[w] |= tokens[w];
      }
      count += n;
    }

    /** Records the fewest bytes after allowed token {@code id} (those that differ from m). */
    void classify(final int id, final int after) {
      if (after < minBytes) {
        if (progressSize == progress.length) {
          progress = Arrays.copyOf(progress, progressSize * 2);
        }
        progress[progressSize++] = id;
      } else if (after > minBytes) {
        if (growerSize == growers.length) {
          growers = Arrays.copyOf(growers, growerSize * 2);
          growerCost = Arrays.copyOf(growerCost, growerSize * 2);
        }
        growers[growerSize] = id;
        growerCost[growerSize++] = after;
      }
    }

    MaskEntry build() {
      return new MaskEntry(this);
    }
  }
}
