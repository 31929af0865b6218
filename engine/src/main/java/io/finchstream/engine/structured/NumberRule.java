package io.finchstream.engine.structured;

/**
 * A JSON number (RFC 8259 §6): {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?}, or
 * for {@code integer} only {@code -? (0 | [1-9][0-9]*)}. A number has no closing byte of its own:
 * in the phases that may end it ({@link #ZERO}, {@link #INT}, {@link #FRACTION}, {@link
 * #EXPONENT_DIGITS}) any other byte completes it and goes to the parent.
 */
final class NumberRule extends Rule {

  static final int START = 0;
  static final int MINUS = 1;
  static final int ZERO = 2;
  static final int INT = 3;
  static final int DOT = 4;
  static final int FRACTION = 5;
  static final int EXPONENT = 6;
  static final int EXPONENT_SIGN = 7;
  static final int EXPONENT_DIGITS = 8;

  private final boolean integer;

  NumberRule(final int id, final boolean integer) {
    super(id);
    this.integer = integer;
    minBytes = 1;
  }

  @Override
  void feed(final Frame f, final int b, final Frame.Sink out) {
    final boolean digit = b >= '0' && b <= '9';
    switch (f.phase) {
      case START -> {
        if (b == '-') {
          out.add(f.with(MINUS, 0, 0));
        } else {
          integerStart(f, b, out);
        }
      }
      case MINUS -> integerStart(f, b, out);
      case ZERO -> fractionOrEnd(f, b, out);
      case INT -> {
        if (digit) {
          out.add(f);
        } else {
          fractionOrEnd(f, b, out);
        }
      }
      case DOT -> {
        if (digit) {
          out.add(f.with(FRACTION, 0, 0));
        }
      }
      case FRACTION -> {
        if (digit) {
          out.add(f);
        } else if (b == 'e' || b == 'E') {
          out.add(f.with(EXPONENT, 0, 0));
        } else {
          end(f, b, out);
        }
      }
      case EXPONENT -> {
        if (b == '+' || b == '-') {
          out.add(f.with(EXPONENT_SIGN, 0, 0));
        } else if (digit) {
          out.add(f.with(EXPONENT_DIGITS, 0, 0));
        }
      }
      case EXPONENT_SIGN -> {
        if (digit) {
          out.add(f.with(EXPONENT_DIGITS, 0, 0));
        }
      }
      default -> {
        if (digit) {
          out.add(f);
        } else {
          end(f, b, out);
        }
      }
    }
  }

  private static void integerStart(final Frame f, final int b, final Frame.Sink out) {
    if (b == '0') {
      out.add(f.with(ZERO, 0, 0));
    } else if (b >= '1' && b <= '9') {
      out.add(f.with(INT, 0, 0));
    }
  }

  private void fractionOrEnd(final Frame f, final int b, final Frame.Sink out) {
    if (!integer && b == '.') {
      out.add(f.with(DOT, 0, 0));
    } else if (!integer && (b == 'e' || b == 'E')) {
      out.add(f.with(EXPONENT, 0, 0));
    } else {
      end(f, b, out);
    }
  }

  /** The number is complete: the byte belongs to the parent. */
  private static void end(final Frame f, final int b, final Frame.Sink out) {
    f.parent.rule.feed(f.parent, b, out);
  }

  @Override
  boolean completeWithoutByte(final Frame f) {
    return f.phase == ZERO || f.phase == INT || f.phase == FRACTION || f.phase == EXPONENT_DIGITS;
  }

  @Override
  int cost(final int phase, final int aux, final int index) {
    return switch (phase) {
      case ZERO, INT, FRACTION, EXPONENT_DIGITS -> 0;
      default -> 1;
    };
  }

  @Override
  boolean updateMinBytes() {
    return false;
  }
}
