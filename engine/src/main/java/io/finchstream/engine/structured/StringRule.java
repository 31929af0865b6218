package io.finchstream.engine.structured;

/**
 * A JSON string (RFC 8259 §7) whose bytes are well-formed UTF-8 (RFC 3629 §4, as checked by {@code
 * io.finchstream.engine.tokenizer.Utf8Decoder}): no control characters, escapes {@code \" \\ \/ \b
 * \f \n \r \t} and {@code \}{@code uXXXX} except surrogates (D800–DFFF), any other Unicode scalar
 * value as itself.
 *
 * <p>Phases: {@link #START} (before the opening quote), {@link #BODY} ({@code aux} = UTF-8 state: 0
 * between characters, else the continuation bytes still due, see {@link #utf8Next}), {@link
 * #ESCAPE} (after a backslash), {@link #HEX} ({@code aux} = hex digits so far, {@code index} = 1 if
 * the first digit was D, so the escape must stay below D800).
 */
final class StringRule extends Rule {

  static final int START = 0;
  static final int BODY = 1;
  static final int ESCAPE = 2;
  static final int HEX = 3;

  StringRule(final int id) {
    super(id);
    minBytes = 2;
  }

  @Override
  void feed(final Frame f, final int b, final Frame.Sink out) {
    switch (f.phase) {
      case START -> {
        if (b == '"') {
          out.add(f.with(BODY, 0, 0));
        }
      }
      case BODY -> body(f, b, out);
      case ESCAPE -> {
        if (b == 'u') {
          out.add(f.with(HEX, 0, 0));
        } else if (b == '"' || b == '\\' || b == '/' || b == 'b' || b == 'f' || b == 'n' || b == 'r'
            || b == 't') {
          out.add(f.with(BODY, 0, 0));
        }
      }
      default -> hex(f, b, out);
    }
  }

  private static void body(final Frame f, final int b, final Frame.Sink out) {
    if (f.aux != 0) {
      final int next = utf8Next(f.aux, b);
      if (next >= 0) {
        out.add(f.with(BODY, next, 0));
      }
    } else if (b == '"') {
      out.add(f.parent);
    } else if (b == '\\') {
      out.add(f.with(ESCAPE, 0, 0));
    } else if (b >= 0x20 && b < 0x80) {
      out.add(f); // unchanged: plain text keeps the state
    } else if (b >= 0x80) {
      final int next = utf8Lead(b);
      if (next > 0) {
        out.add(f.with(BODY, next, 0));
      }
    }
  }

  private static void hex(final Frame f, final int b, final Frame.Sink out) {
    final int digit = hexDigit(b);
    if (digit < 0 || (f.aux == 1 && f.index == 1 && digit >= 8)) {
      return; // not hex, or a surrogate \\uD800..\\uDFFF
    }
    if (f.aux == 3) {
      out.add(f.with(BODY, 0, 0));
    } else {
      out.add(f.with(HEX, f.aux + 1, f.aux == 0 && digit == 0xD ? 1 : f.index));
    }
  }

  /** The value of ASCII hex digit {@code b}, or -1. */
  static int hexDigit(final int b) {
    if (b >= '0' && b <= '9') {
      return b - '0';
    }
    if (b >= 'a' && b <= 'f') {
      return b - 'a' + 10;
    }
    return b >= 'A' && b <= 'F' ? b - 'A' + 10 : -1;
  }

  /**
   * The UTF-8 state after lead byte {@code b}: 1..3 continuation bytes due (any of 80..BF), or 4 =
   * after E0 (next A0..BF), 5 = after ED (next 80..9F), 6 = after F0 (next 90..BF), 7 = after F4
   * (next 80..8F); -1 if {@code b} cannot start a character.
   */
  static int utf8Lead(final int b) {
    if (b >= 0xC2 && b <= 0xDF) {
      return 1;
    }
    if (b == 0xE0) {
      return 4;
    }
    if (b == 0xED) {
      return 5;
    }
    if (b >= 0xE1 && b <= 0xEF) {
      return 2;
    }
    if (b == 0xF0) {
      return 6;
    }
    if (b >= 0xF1 && b <= 0xF3) {
      return 3;
    }
    return b == 0xF4 ? 7 : -1;
  }

  /** The UTF-8 state after continuation byte {@code b} in state {@code state}, or -1. */
  static int utf8Next(final int state, final int b) {
    final boolean ok =
        switch (state) {
          case 4 -> b >= 0xA0 && b <= 0xBF;
          case 5 -> b >= 0x80 && b <= 0x9F;
          case 6 -> b >= 0x90 && b <= 0xBF;
          case 7 -> b >= 0x80 && b <= 0x8F;
          default -> b >= 0x80 && b <= 0xBF;
        };
    if (!ok) {
      return -1;
    }
    return switch (state) {
      case 1 -> 0;
      case 2, 4, 5 -> 1;
      default -> 2; // 3, 6, 7
    };
  }

  /** Continuation bytes still due in UTF-8 state {@code state}. */
  static int pending(final int state) {
    return switch (state) {
      case 0 -> 0;
      case 1 -> 1;
      case 2, 4, 5 -> 2;
      default -> 3;
    };
  }

  @Override
  int cost(final int phase, final int aux, final int index) {
    return switch (phase) {
      case START -> 2;
      case BODY -> pending(aux) + 1;
      case ESCAPE -> 2;
      default -> 4 - aux + 1;
    };
  }

  @Override
  boolean updateMinBytes() {
    return false;
  }
}
