package io.finchstream.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Parses the Python string literals of the World vocab file into token bytes (finch-math.md §4.1).
 *
 * <ul>
 *   <li>{@code 'text'} / {@code "text"}: a {@code str}; its code points are UTF-8 encoded. Here
 *       {@code \xHH} is the <em>code point</em> U+00HH, so {@code '\xa0'} is the two bytes C2 A0.
 *   <li>{@code b'...'} / {@code b"..."}: a {@code bytes}; {@code \xHH} is the raw byte HH and every
 *       other character must be ASCII.
 * </ul>
 *
 * <p>Escapes: {@code \\ \' \" \n \r \t \xHH} in both; {@code \}{@code uHHHH} and {@code \UHHHHHHHH}
 * in {@code str} only. Anything else (another escape, an unescaped closing quote inside, a lone
 * surrogate that UTF-8 cannot encode) is rejected with {@link IllegalArgumentException}.
 */
final class PythonLiteral {

  private PythonLiteral() {}

  /** The bytes a literal stands for. */
  static byte[] toBytes(final String literal) {
    final boolean isBytes = literal.startsWith("b'") || literal.startsWith("b\"");
    final int open = isBytes ? 1 : 0;
    if (literal.length() < open + 2) {
      throw new IllegalArgumentException("not a Python string literal: " + literal);
    }
    final char quote = literal.charAt(open);
    if (quote != '\'' && quote != '"') {
      throw new IllegalArgumentException(
          "not a Python string literal (no opening quote): " + literal);
    }
    if (literal.charAt(literal.length() - 1) != quote) {
      throw new IllegalArgumentException(
          "literal does not end with its opening quote " + quote + ": " + literal);
    }
    final String body = literal.substring(open + 1, literal.length() - 1);
    return isBytes ? bytesBody(body, quote) : strBody(body, quote);
  }

  private static byte[] bytesBody(final String body, final char quote) {
    final ByteArrayOutputStream out = new ByteArrayOutputStream(body.length());
    int i = 0;
    while (i < body.length()) {
      final char c = body.charAt(i);
      if (c == '\\') {
        final char e = escapeChar(body, i);
        if (e == 'x') {
          out.write(hex(body, i + 2, 2));
          i += 4;
        } else {
          out.write(simpleEscape(e, body, i));
          i += 2;
        }
      } else {
        checkPlain(c, quote, body);
        if (c > 0x7F) {
          throw new IllegalArgumentException(
              "non-ASCII character U+" + hex4(c) + " in a bytes literal");
        }
        out.write(c);
        i++;
      }
    }
    return out.toByteArray();
  }

  private static byte[] strBody(final String body, final char quote) {
    final StringBuilder text = new StringBuilder(body.length());
    int i = 0;
    while (i < body.length()) {
      final char c = body.charAt(i);
      if (c == '\\') {
        final char e = escapeChar(body, i);
        switch (e) {
          case 'x' -> {
            text.appendCodePoint(hex(body, i + 2, 2));
            i += 4;
          }
          case 'u' -> {
            text.appendCodePoint(scalar(hex(body, i + 2, 4)));
            i += 6;
          }
          case 'U' -> {
            text.appendCodePoint(scalar(hex(body, i + 2, 8)));
            i += 10;
          }
          default -> {
            text.append((char) simpleEscape(e, body, i));
            i += 2;
          }
        }
      } else {
        checkPlain(c, quote, body);
        text.append(c);
        i++;
      }
    }
    return utf8(text);
  }

  private static char escapeChar(final String body, final int backslash) {
    if (backslash + 1 >= body.length()) {
      throw new IllegalArgumentException("literal ends in a lone backslash");
    }
    return body.charAt(backslash + 1);
  }

  /** The one-character escapes shared by str and bytes. */
  private static int simpleEscape(final char e, final String body, final int at) {
    return switch (e) {
      case '\\' -> '\\';
      case '\'' -> '\'';
      case '"' -> '"';
      case 'n' -> '\n';
      case 'r' -> '\r';
      case 't' -> '\t';
      default ->
          throw new IllegalArgumentException(
              "unsupported escape \\" + e + " at offset " + at + " of " + body);
    };
  }

  private static void checkPlain(final char c, final char quote, final String body) {
    if (c == quote) {
      throw new IllegalArgumentException("unescaped " + quote + " inside the literal: " + body);
    }
  }

  private static int hex(final String body, final int from, final int digits) {
    if (from + digits > body.length()) {
      throw new IllegalArgumentException("truncated hex escape in " + body);
    }
    int value = 0;
    for (int i = from; i < from + digits; i++) {
      final int d = Character.digit(body.charAt(i), 16);
      if (d < 0) {
        throw new IllegalArgumentException("bad hex digit '" + body.charAt(i) + "' in " + body);
      }
      value = value * 16 + d;
    }
    return value;
  }

  /** A \\u or \\U code point must be a Unicode scalar value, else Python cannot UTF-8 encode it. */
  private static int scalar(final int codePoint) {
    if (codePoint > Character.MAX_CODE_POINT
        || (codePoint >= Character.MIN_SURROGATE && codePoint <= Character.MAX_SURROGATE)) {
      throw new IllegalArgumentException(
          "escape U+"
              + Integer.toHexString(codePoint).toUpperCase(Locale.ROOT)
              + " is not a Unicode scalar value (UTF-8 cannot encode it)");
    }
    return codePoint;
  }

  /** Strict UTF-8: an unpaired surrogate (from the file itself) is an error, not '?'. */
  private static byte[] utf8(final CharSequence text) {
    for (int i = 0; i < text.length(); i++) {
      final char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new IllegalArgumentException(
            "unpaired surrogate U+" + hex4(c) + " (UTF-8 cannot encode it)");
      }
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String hex4(final char c) {
    return String.format("%04X", (int) c);
  }
}
