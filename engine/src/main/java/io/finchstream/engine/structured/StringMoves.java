package io.finchstream.engine.structured;

import java.util.Arrays;

/**
 * What every token does to a string that is open, from one position inside it: a vocabulary-wide
 * table, so the mask of a state inside a string (where nearly every token is allowed) costs a pass
 * over this table instead of a walk of the whole token trie.
 *
 * <p>A token either stays inside the string (ending in some position, see {@link #position}),
 * closes it after some of its bytes (the rest then goes to whatever follows the string), or is
 * invalid. Positions: {@code 0..7} the body in UTF-8 state {@code aux}, 8 after a backslash, {@code
 * 9 + 2k + d} after {@code k} hex digits of a {@code \}{@code u} escape ({@code d} = 1 if the first
 * was D).
 */
final class StringMoves {

  /** Positions inside a string. */
  static final int POSITIONS = 17;

  final long[] inside; // (V/64) tokens that stay inside
  final int insideCount;
  final int[][] endingAt; // (POSITIONS) tokens that stay inside, by the position they end in
  final int[] closing; // tokens that close the string, ascending
  final byte[] closingRest; // offset of their first byte after the closing quote

  private StringMoves(
      final long[] inside,
      final int insideCount,
      final int[][] endingAt,
      final int[] closing,
      final byte[] closingRest) {
    this.inside = inside;
    this.insideCount = insideCount;
    this.endingAt = endingAt;
    this.closing = closing;
    this.closingRest = closingRest;
  }

  /** The position of a string frame that is past its opening quote. */
  static int position(final Frame f) {
    return switch (f.phase) {
      case StringRule.BODY -> f.aux;
      case StringRule.ESCAPE -> 8;
      default -> 9 + 2 * f.aux + f.index;
    };
  }

  /**
   * The (phase, aux, index) of {@code position} as a frame of {@code rule} under {@code parent}.
   */
  static Frame frame(final StringRule rule, final int position, final Frame parent) {
    if (position < 8) {
      return new Frame(rule, StringRule.BODY, position, 0, parent);
    }
    if (position == 8) {
      return new Frame(rule, StringRule.ESCAPE, 0, 0, parent);
    }
    final int hex = position - 9;
    return new Frame(rule, StringRule.HEX, hex / 2, hex % 2, parent);
  }

  /** Runs every token of {@code table} from {@code position}. */
  static StringMoves of(final TokenTable table, final int position) {
    final StringRule rule = new StringRule(0);
    final RootRule outside = new RootRule(1);
    final Frame parent = new Frame(outside, RootRule.DONE, 0, 0, null);
    final Frame start = frame(rule, position, parent);
    final Frame.Sink sink = new Frame.Sink();
    final long[] inside = new long[(table.vocabSize() + 63) >>> 6];
    int insideCount = 0;
    final int[][] endingAt = new int[POSITIONS][16];
    final int[] ending = new int[POSITIONS];
    int[] closing = new int[256];
    byte[] closingRest = new byte[256];
    int closingCount = 0;
    for (int id = 1; id < table.vocabSize(); id++) {
      final byte[] bytes = table.bytes(id);
      if (bytes.length == 0) {
        continue;
      }
      Frame f = start;
      int closedAt = -1;
      for (int i = 0; i < bytes.length && f != null; i++) {
        sink.clear();
        rule.feed(f, bytes[i] & 0xFF, sink);
        f = sink.size() == 0 ? null : sink.get(0);
        if (f == parent) {
          closedAt = i + 1;
          break;
        }
      }
      if (closedAt >= 0) {
        if (closingCount == closing.length) {
          closing = Arrays.copyOf(closing, closingCount * 2);
          closingRest = Arrays.copyOf(closingRest, closingCount * 2);
        }
        closing[closingCount] = id;
        closingRest[closingCount++] = (byte) closedAt;
      } else if (f != null) {
        inside[id >>> 6] |= 1L << id;
        insideCount++;
        final int end = position(f);
        if (ending[end] == endingAt[end].length) {
          endingAt[end] = Arrays.copyOf(endingAt[end], ending[end] * 2);
        }
        endingAt[end][ending[end]++] = id;
      }
    }
    for (int p = 0; p < POSITIONS; p++) {
      endingAt[p] = Arrays.copyOf(endingAt[p], ending[p]);
    }
    return new StringMoves(
        inside,
        insideCount,
        endingAt,
        Arrays.copyOf(closing, closingCount),
        Arrays.copyOf(closingRest, closingCount));
  }
}
