package io.finchstream.engine.tokenizer;

/**
 * Decodes generated token ids one at a time into text, emitting only complete UTF-8 characters
 * (finch-math.md §4.3: tokens can split a multi-byte character).
 *
 * <p>Bytes of a character that is still incomplete at a token boundary are held back until a later
 * token completes it. A sequence that can never become valid is emitted as U+FFFD as soon as that
 * is certain (Unicode "maximal subpart" substitution, as in {@link Tokenizer#decode}). Hence the
 * concatenation of every {@link #push} result and {@link #finish} equals {@link Tokenizer#decode}
 * of the whole sequence, and no chunk ever splits a character (surrogate pairs included).
 *
 * <p>Not thread-safe: one decoder per generated stream. Reusable after {@link #finish}.
 */
public final class StreamingDecoder {

  private final Tokenizer tokenizer;
  private final Utf8Decoder utf8 = new Utf8Decoder();
  private final StringBuilder out = new StringBuilder();

  /** A decoder over {@code tokenizer}'s token bytes. */
  public StreamingDecoder(final Tokenizer tokenizer) {
    this.tokenizer = tokenizer;
  }

  /**
   * Adds one token; returns the text that is now complete (possibly empty). End of text (0) adds
   * nothing.
   *
   * @throws io.finchstream.engine.EngineException for an id outside the vocabulary
   */
  public String push(final int tokenId) {
    return pushBytes(tokenizer.tokenBytes(tokenId));
  }

  /** Adds raw bytes; returns the text that is now complete (possibly empty). */
  public String pushBytes(final byte[] bytes) {
    out.setLength(0);
    utf8.accept(bytes, out);
    return out.toString();
  }

  /** Ends the stream: a still-incomplete character becomes U+FFFD. Resets the decoder. */
  public String finish() {
    out.setLength(0);
    utf8.finish(out);
    return out.toString();
  }

  /** Bytes held back because they start a character that is not complete yet (0..3). */
  public int pendingBytes() {
    return utf8.pendingBytes();
  }
}
