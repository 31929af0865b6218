package io.finchstream.gateway.conversation;

import io.finchstream.proto.v1.LiveToken;
import io.finchstream.proto.v1.TokenChunk;

/**
 * One generation's tokens, in order, without gaps or repeats, from two sources:
 *
 * <ul>
 *   <li>the live draws of {@code finchstream.tokens}: each draw as soon as it is sampled, before
 *       its transaction commits; they may come twice (a new owner draws again from the last
 *       commit), late, or not at all (a dropped preview);
 *   <li>the committed chunks of {@code finchstream.replies}: complete and in order, the record of
 *       truth, but only at each commit.
 * </ul>
 *
 * Both describe the same sequence of draws (draws are a pure function of state, seed and index), so
 * what has been delivered is always a prefix of it, measured by the draws, the tokens and the code
 * points of text delivered. A live draw is delivered only when it is the very next one (its index
 * is the draws delivered and its text starts where the delivered text ends); anything else is
 * dropped (a repeat, or one that would leave a gap: the commit fills gaps). A committed chunk
 * delivers whatever of it lies beyond the delivered prefix (nothing when the live stream was
 * ahead). Not thread-safe: one per generation, on its context.
 */
final class TokenSequencer {

  /** What to write to the client next. */
  static final class Delivery {
    private final int[] tokenIds;
    private final String text;
    private final long sampledAtMicros;

    /**
     * @param tokenIds tokens, in order (none for text that ends a reply without a token); owned by
     *     the delivery
     * @param text their text
     * @param sampledAtMicros when a live draw was sampled (epoch µs); -1 for committed content
     */
    Delivery(final int[] tokenIds, final String text, final long sampledAtMicros) {
      this.tokenIds = tokenIds;
      this.text = text;
      this.sampledAtMicros = sampledAtMicros;
    }

    /** The tokens, in order (a copy). */
    int[] tokenIds() {
      return tokenIds.clone();
    }

    /** How many tokens. */
    int tokenCount() {
      return tokenIds.length;
    }

    String text() {
      return text;
    }

    long sampledAtMicros() {
      return sampledAtMicros;
    }

    /** Whether it came from the live stream. */
    boolean live() {
      return sampledAtMicros >= 0;
    }
  }

  private static final int[] NONE = new int[0];

  /** Draws delivered: the tokens, plus a final stop draw if one was delivered. */
  private int draws;

  private int tokens;
  private long points;
  private int committedTokens;
  private long committedPoints;
  private int nextChunk;

  /**
   * The delivery for live draw {@code t}, or null if it is not the next one (or shows nothing: a
   * final stop token without text).
   */
  Delivery live(final LiveToken t) {
    if (t.getIndex() != draws || t.getTextOffset() != points) {
      return null;
    }
    draws++;
    final int[] ids = t.hasTokenId() ? new int[] {t.getTokenId()} : NONE;
    tokens += ids.length;
    points += t.getText().codePointCount(0, t.getText().length());
    // A final stop token without text shows nothing (it only counts as shown).
    return ids.length == 0 && t.getText().isEmpty()
        ? null
        : new Delivery(ids, t.getText(), t.getSampledAtUs());
  }

  /**
   * The delivery for committed chunk {@code c} (the part beyond what was delivered), or null if
   * there is none (a repeated chunk, or one the live stream already delivered).
   */
  Delivery committed(final TokenChunk c) {
    if (c.getIndex() != nextChunk) {
      return null;
    }
    nextChunk++;
    final int startTokens = committedTokens;
    final long startPoints = committedPoints;
    final String text = c.getText();
    committedTokens += c.getTokenIdsCount();
    committedPoints += text.codePointCount(0, text.length());
    if (committedTokens <= tokens && committedPoints <= points) {
      return null;
    }
    final int skipTokens = Math.min(c.getTokenIdsCount(), Math.max(0, tokens - startTokens));
    final long skipPoints = Math.max(0, points - startPoints);
    final int[] ids = new int[c.getTokenIdsCount() - skipTokens];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = c.getTokenIds(skipTokens + i);
    }
    final String rest =
        skipPoints >= committedPoints - startPoints
            ? ""
            : text.substring(text.offsetByCodePoints(0, (int) skipPoints));
    tokens = Math.max(tokens, committedTokens);
    points = Math.max(points, committedPoints);
    draws = Math.max(draws, tokens);
    return new Delivery(ids, rest, -1);
  }

  /** Draws delivered so far: what a cancel must keep (CancelGeneration.shown_tokens). */
  int shown() {
    return draws;
  }

  /** Tokens delivered so far. */
  int tokens() {
    return tokens;
  }

  /** Tokens the committed chunks have covered so far. */
  int committedTokens() {
    return committedTokens;
  }

  /**
   * Whether the delivered text is exactly a reply text of {@code codePoints} code points long (the
   * GenerationDone's text): the live stream never showed more than the reply holds, and nothing of
   * it is missing.
   */
  boolean deliveredAll(final long codePoints) {
    return points == codePoints;
  }
}
