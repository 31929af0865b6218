package io.finchstream.engine.sampling;

import java.util.Arrays;
import java.util.Locale;

/**
 * One token with its log probability and its bytes, as OpenAI reports them in {@code logprobs} (the
 * bytes of a token can be part of a UTF-8 character; the reader concatenates them). Immutable.
 */
public final class TokenLogprob {

  private final int token;
  private final double logprob;
  private final byte[] bytes;

  /**
   * One entry.
   *
   * @param token the id
   * @param logprob natural log of its probability (≤ 0)
   * @param bytes the token's bytes (copied; empty for end of text)
   */
  public TokenLogprob(final int token, final double logprob, final byte[] bytes) {
    this.token = token;
    this.logprob = logprob;
    this.bytes = bytes.clone();
  }

  /** The token id. */
  public int token() {
    return token;
  }

  /** Natural log of its probability (≤ 0). */
  public double logprob() {
    return logprob;
  }

  /** The token's bytes (a copy). */
  public byte[] bytes() {
    return bytes.clone();
  }

  @Override
  public boolean equals(final Object o) {
    return o instanceof TokenLogprob other
        && token == other.token
        && Double.compare(logprob, other.logprob) == 0
        && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return (31 * token + Double.hashCode(logprob)) * 31 + Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%d:%.6f", token, logprob);
  }
}
