package io.finchstream.engine.structured;

/**
 * One production of a compiled {@link JsonGrammar}: what a JSON value at some place of the schema
 * may look like, byte by byte. Immutable once the compiler has finished with it.
 *
 * <p>A rule on the stack is a {@link Frame}: the rule plus its position inside the value ({@code
 * phase}, {@code aux}, {@code index}, meaning rule-specific). {@link #feed} takes the frame one
 * byte further and hands the resulting stack tops to a {@link Frame.Sink}: none (the byte is not
 * allowed here), one, or several (where an {@code anyOf} keeps alternatives open). A frame whose
 * value is complete hands the byte back to its parent ({@link Frame#parent} is then in the phase
 * after its child), or, if the closing byte was its own (`}`, `]`, `"`), emits the parent as the
 * new top.
 */
abstract class Rule {

  /** Bytes of whitespace allowed in a row between two tokens of the JSON text. */
  static final int MAX_WHITESPACE = 20;

  /** Deepest nesting of objects and arrays in a generated value. */
  static final int MAX_DEPTH = 64;

  /** A cost that is not reachable (no finite completion). */
  static final int UNREACHABLE = Integer.MAX_VALUE / 4;

  /** Dense id (compile order): hashing frames deterministically. */
  final int id;

  /**
   * Fewest bytes of a value of this rule; set by the compiler ({@link #UNREACHABLE} until then).
   */
  int minBytes = UNREACHABLE;

  Rule(final int id) {
    this.id = id;
  }

  /** Starts a value of this rule under {@code parent} with its first byte {@code b}. */
  void push(final Frame parent, final int b, final Frame.Sink out) {
    feed(new Frame(this, 0, 0, 0, parent), b, out);
  }

  /** Takes frame {@code f} (of this rule) one byte {@code b} further. */
  abstract void feed(Frame f, int b, Frame.Sink out);

  /**
   * Fewest bytes that complete this frame's value from its position, not counting a child frame
   * above it (the child counts its own); {@link #UNREACHABLE} if none.
   */
  abstract int cost(int phase, int aux, int index);

  /** Whether the value may end before the next byte (a number, which no byte of its own ends). */
  boolean completeWithoutByte(final Frame f) {
    return false;
  }

  /** Recomputes {@link #minBytes} from the children's; returns whether it changed (fixpoint). */
  abstract boolean updateMinBytes();

  /** JSON whitespace: space, tab, line feed, carriage return. */
  static boolean isWhitespace(final int b) {
    return b == ' ' || b == '\n' || b == '\r' || b == '\t';
  }

  /** One more whitespace byte in a frame's phase, if the run is still short enough. */
  static void whitespace(final Frame f, final Frame.Sink out) {
    if (f.aux < MAX_WHITESPACE) {
      out.add(f.with(f.phase, f.aux + 1, f.index));
    }
  }

  /** a + b, saturating at {@link #UNREACHABLE}. */
  static int plus(final int a, final int b) {
    return a >= UNREACHABLE || b >= UNREACHABLE ? UNREACHABLE : Math.min(UNREACHABLE, a + b);
  }

  /** a × b for counts, saturating at {@link #UNREACHABLE}. */
  static int times(final int a, final int b) {
    final long p = (long) a * b;
    return p >= UNREACHABLE ? UNREACHABLE : (int) p;
  }
}
