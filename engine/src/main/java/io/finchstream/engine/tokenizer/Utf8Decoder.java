package io.finchstream.engine.tokenizer;

/**
 * An incremental UTF-8 decoder with the Unicode "maximal subpart" U+FFFD substitution (Unicode
 * §3.9, Table 3-7; the same as Python's {@code bytes.decode('utf-8', 'replace')}).
 *
 * <p>A byte that cannot start a character, and every maximal prefix of a character that cannot be
 * completed, becomes one U+FFFD as soon as that is certain; a prefix that may still complete is
 * held. The JDK's {@code new String(bytes, UTF_8)} agrees except for encoded surrogates (ED A0..BF
 * ..), which it replaces as one unit instead of one U+FFFD per byte. Mutable; not thread-safe.
 */
final class Utf8Decoder {

  static final char REPLACEMENT = '\uFFFD';

  private int needed; // continuation bytes still expected for the pending character
  private int pendingBytes; // bytes of the pending character received so far
  private int codePoint; // bits of the pending character so far
  private int lower = 0x80; // allowed range of the next continuation byte
  private int upper = 0xBF;

  /** Decodes a whole byte sequence (an incomplete tail becomes one U+FFFD). */
  static String decode(final byte[] bytes) {
    final StringBuilder out = new StringBuilder(bytes.length);
    final Utf8Decoder decoder = new Utf8Decoder();
    decoder.accept(bytes, out);
    decoder.finish(out);
    return out.toString();
  }

  /** Bytes held back because they start a character that is not complete yet (0..3). */
  int pendingBytes() {
    return pendingBytes;
  }

  /** Decodes {@code bytes}, appending every completed character (or U+FFFD) to {@code out}. */
  void accept(final byte[] bytes, final StringBuilder out) {
    for (final byte b : bytes) {
      accept(b & 0xFF, out);
    }
  }

  /** End of input: a pending incomplete character becomes U+FFFD; the decoder is reset. */
  void finish(final StringBuilder out) {
    if (needed > 0) {
      out.append(REPLACEMENT);
      reset();
    }
  }

  private void accept(final int b, final StringBuilder out) {
    if (needed > 0) {
      if (b >= lower && b <= upper) {
        codePoint = codePoint << 6 | (b & 0x3F);
        pendingBytes++;
        lower = 0x80;
        upper = 0xBF;
        if (--needed == 0) {
          out.appendCodePoint(codePoint);
          reset();
        }
        return;
      }
      // the pending prefix can never complete: one U+FFFD for it, then b starts afresh
      out.append(REPLACEMENT);
      reset();
    }
    start(b, out);
  }

  private void start(final int b, final StringBuilder out) {
    if (b < 0x80) {
      out.append((char) b);
    } else if (b >= 0xC2 && b <= 0xDF) {
      begin(1, b & 0x1F, 0x80, 0xBF);
    } else if (b >= 0xE0 && b <= 0xEF) {
      // E0: no overlong forms (A0..BF next); ED: no surrogates (80..9F next)
      begin(2, b & 0x0F, b == 0xE0 ? 0xA0 : 0x80, b == 0xED ? 0x9F : 0xBF);
    } else if (b >= 0xF0 && b <= 0xF4) {
      // F0: no overlong forms (90..BF next); F4: nothing above U+10FFFF (80..8F next)
      begin(3, b & 0x07, b == 0xF0 ? 0x90 : 0x80, b == 0xF4 ? 0x8F : 0xBF);
    } else {
      out.append(REPLACEMENT); // 80..C1 and F5..FF never start a character
    }
  }

  private void begin(final int continuation, final int bits, final int lo, final int hi) {
    needed = continuation;
    codePoint = bits;
    pendingBytes = 1;
    lower = lo;
    upper = hi;
  }

  private void reset() {
    needed = 0;
    pendingBytes = 0;
    codePoint = 0;
    lower = 0x80;
    upper = 0xBF;
  }
}
