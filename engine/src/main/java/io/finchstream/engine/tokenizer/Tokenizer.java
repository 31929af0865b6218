package io.finchstream.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Text ⇄ token ids for one vocabulary. Implementations are immutable and thread-safe.
 *
 * <p>Token id {@link #END_OF_TEXT} (0) is end of text in every vocabulary: it is never produced by
 * {@link #encode} for the World vocabulary and decodes to no bytes in all of them. Decoding is
 * byte-exact ({@link #decodeBytes}); {@link #decode} then applies UTF-8 with one U+FFFD per maximal
 * invalid subpart (Unicode §3.9, like Python's {@code errors='replace'}), which is also what {@link
 * StreamingDecoder} produces chunk by chunk.
 */
public interface Tokenizer {

  /** The end-of-text token id, shared by every vocabulary (finch-math.md §4.1). */
  int END_OF_TEXT = 0;

  /** Number of ids this tokenizer accepts: valid ids are {@code 0 .. vocabSize() - 1}. */
  int vocabSize();

  /** The end-of-text id ({@value #END_OF_TEXT}). */
  default int endOfText() {
    return END_OF_TEXT;
  }

  /** Encodes raw bytes (no normalisation, no special tokens, no BOS). Never fails. */
  int[] encodeBytes(byte[] bytes);

  /**
   * Encodes text as its UTF-8 bytes. An unpaired surrogate in {@code text} becomes {@code '?'}, as
   * in {@link String#getBytes(java.nio.charset.Charset)}.
   */
  default int[] encode(final String text) {
    return encodeBytes(text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The bytes of one token (a fresh array); empty for {@link #END_OF_TEXT} and for reserved ids.
   *
   * @throws io.finchstream.engine.EngineException if {@code id} is outside {@code 0 ..
   *     vocabSize()-1}
   */
  byte[] tokenBytes(int id);

  /** The concatenated bytes of {@code ids}; throws like {@link #tokenBytes} for an unknown id. */
  default byte[] decodeBytes(final int[] ids) {
    final ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
    for (final int id : ids) {
      out.writeBytes(tokenBytes(id));
    }
    return out.toByteArray();
  }

  /**
   * {@link #decodeBytes} as UTF-8 text, each maximal invalid subpart replaced by U+FFFD. (The JDK's
   * {@code new String(bytes, UTF_8)} agrees except on encoded surrogates ED A0..BF, which it
   * replaces as one unit.)
   */
  default String decode(final int[] ids) {
    return Utf8Decoder.decode(decodeBytes(ids));
  }
}
