package io.finchstream.engine.sampling;

import io.finchstream.engine.tokenizer.StreamingDecoder;
import io.finchstream.engine.tokenizer.Tokenizer;

/**
 * The bookkeeping of one reply being generated, independent of where the logits come from: it draws
 * tokens with a {@link Sampler}, counts them (penalties and the draw index), decodes them into text
 * without ever splitting a UTF-8 character ({@link StreamingDecoder}), holds back text that could
 * still become a stop string ({@link StopMatcher}), and decides when and why the reply ends.
 *
 * <p>The rules, in order, for each accepted token: a stop token (end of text, or one of {@link
 * SamplingParams#stopTokenIds()}) ends the reply and is neither counted nor emitted; otherwise the
 * token is counted and its text pushed; a completed stop string ends the reply (the stop string and
 * anything after it is not emitted); reaching {@link SamplingParams#maxTokens()} ends it. When the
 * reply ends other than by a stop string, text still held back is flushed.
 *
 * <p>Replayable: {@link #replay(int[])} rebuilds the exact same bookkeeping from the tokens already
 * generated, so a generation resumed after a crash continues with the same draws and text.
 */
public final class Generation {

  /** Why a reply ended. */
  public enum Finish {
    /** A stop string or stop token id. */
    STOP,
    /** {@link SamplingParams#maxTokens()} reached. */
    LENGTH,
    /** The model produced token 0, end of text. */
    END_OF_TEXT
  }

  private final SamplingParams params;
  private final TokenCounts counts = new TokenCounts();
  private final StreamingDecoder decoder;
  private final StopMatcher stops;
  private Finish finish;
  private boolean ended;

  /**
   * @param tokenizer decodes the tokens
   * @param params validated here
   */
  public Generation(final Tokenizer tokenizer, final SamplingParams params) {
    this.params = params.validate();
    this.decoder = new StreamingDecoder(tokenizer);
    this.stops = new StopMatcher(params.stopStrings());
  }

  /** The parameters. */
  public SamplingParams params() {
    return params;
  }

  /** Draws the next token from {@code logits} (not yet accepted). */
  public int sample(final Sampler sampler, final float[] logits) {
    return sampler.sample(logits, params, counts);
  }

  /**
   * Accepts the sampled {@code token} and returns the text that may be emitted now (possibly
   * empty).
   *
   * @throws IllegalStateException when the reply has already ended
   */
  public String accept(final int token) {
    if (ended) {
      throw new IllegalStateException(
          "the reply already ended (" + (finish == null ? "flushed" : finish) + ")");
    }
    if (params.isStopToken(token)) {
      return end(token == Tokenizer.END_OF_TEXT ? Finish.END_OF_TEXT : Finish.STOP);
    }
    counts.add(token);
    final StopMatcher.Step step = stops.push(decoder.push(token));
    if (step.stopped()) {
      finish = Finish.STOP;
      ended = true;
      return step.text();
    }
    if (counts.total() >= params.maxTokens()) {
      return step.text() + end(Finish.LENGTH);
    }
    return step.text();
  }

  /**
   * Ends the reply from outside (e.g. cancelled) and returns the text still held back; the finish
   * reason stays {@code null} so the caller can report its own.
   */
  public String flush() {
    return ended ? "" : end(null);
  }

  private String end(final Finish reason) {
    finish = reason;
    ended = true;
    if (stops.stopped()) {
      return "";
    }
    final StopMatcher.Step tail = stops.push(decoder.finish());
    return tail.stopped() ? tail.text() : tail.text() + stops.finish();
  }

  /**
   * Re-accepts tokens already generated (none of them a stop token), returning the text they
   * produced, exactly as it was emitted the first time.
   */
  public String replay(final int[] generated) {
    final StringBuilder text = new StringBuilder();
    for (final int token : generated) {
      text.append(accept(token));
    }
    return text.toString();
  }

  /** Whether the reply has ended (by itself or by {@link #flush()}). */
  public boolean ended() {
    return ended;
  }

  /**
   * Why the reply ended; {@code null} while it is running or when it was ended by {@link #flush()}.
   */
  public Finish finish() {
    return finish;
  }

  /** Tokens accepted so far (stop tokens excluded). */
  public int generated() {
    return counts.total();
  }

  /** The counts of accepted tokens (read-only use). */
  public TokenCounts counts() {
    return counts;
  }
}
