package io.finchstream.engine.sampling;

import io.finchstream.engine.tokenizer.StreamingDecoder;
import io.finchstream.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The bookkeeping of one reply being generated, independent of where the logits come from: it draws
 * tokens with a {@link Sampler}, counts them (penalties and the draw index), decodes them into text
 * without ever splitting a UTF-8 character ({@link StreamingDecoder}), holds back text that could
 * still become a stop string ({@link StopMatcher}), and decides when and why the reply ends.
 *
 * <p>The rules, in order, for each accepted token: a stop token (end of text, or one of {@link
 * SamplingParams#stopTokenIds()}) ends the reply and is neither counted nor emitted; otherwise the
 * token is counted and its text pushed; a completed stop string ends the reply (the stop string and
 * anything after it is not emitted); a {@link TokenConstraint} that is {@link
 * TokenConstraint#complete() complete} ends it (finish {@link Finish#STOP}); reaching {@link
 * SamplingParams#maxTokens()} ends it. When the reply ends other than by a stop string, text still
 * held back is flushed.
 *
 * <p>With a constraint (e.g. a JSON schema), every draw is masked by it, so the output stays a
 * valid prefix and ends when the value is complete. The constraint also keeps a complete output
 * within {@code max_tokens}: a {@code max_tokens} below {@link TokenConstraint#tokensToComplete()}
 * is refused at construction, and from then on the mask only allows tokens after which the
 * remaining budget can still complete the value. Stop strings and stop token ids still apply and
 * can cut the output short (the caller asked for them).
 *
 * <p>Replayable: {@link #replay(int[])} rebuilds the exact same bookkeeping from the tokens already
 * generated, so a generation resumed after a crash continues with the same draws and text.
 */
public final class Generation {

  /** Why a reply ended. */
  public enum Finish {
    /** A stop string or stop token id, or the constrained output is complete. */
    STOP,
    /** {@link SamplingParams#maxTokens()} reached. */
    LENGTH,
    /** The model produced token 0, end of text. */
    END_OF_TEXT
  }

  /**
   * One draw.
   *
   * @param token the drawn token (not yet accepted)
   * @param logprobs its log probabilities, or null when {@link SamplingParams#logprobs()} is off
   */
  public record Sample(int token, TokenLogprobs logprobs) {}

  private final Tokenizer tokenizer;
  private final SamplingParams params;
  private final TokenConstraint constraint; // null: free text
  private final TokenCounts counts = new TokenCounts();
  private final StreamingDecoder decoder;
  private final StopMatcher stops;
  private Finish finish;
  private boolean ended;

  /**
   * A free-text generation.
   *
   * @param tokenizer decodes the tokens
   * @param params validated here (against the tokenizer's vocabulary)
   * @throws InvalidParameterException naming the first bad parameter
   */
  public Generation(final Tokenizer tokenizer, final SamplingParams params) {
    this(tokenizer, params, null);
  }

  /**
   * A generation whose tokens are restricted by {@code constraint}.
   *
   * @param tokenizer decodes the tokens
   * @param params validated here (against the tokenizer's vocabulary)
   * @param constraint at the start of the output (owned by this generation from now on), or null
   *     for free text
   * @throws InvalidParameterException naming the first bad parameter; {@code max_tokens} when it is
   *     smaller than the constraint's shortest complete output
   */
  public Generation(
      final Tokenizer tokenizer, final SamplingParams params, final TokenConstraint constraint) {
    this.tokenizer = tokenizer;
    this.params = params.validate(tokenizer.vocabSize());
    this.constraint = constraint;
    this.decoder = new StreamingDecoder(tokenizer);
    this.stops = new StopMatcher(params.stopStrings());
    if (constraint != null && constraint.tokensToComplete() > params.maxTokens()) {
      throw new InvalidParameterException(
          "max_tokens",
          ">= "
              + constraint.tokensToComplete()
              + " for this response format (the tokens of its shortest valid output)",
          params.maxTokens());
    }
  }

  /** The parameters. */
  public SamplingParams params() {
    return params;
  }

  /** Draws the next token from {@code logits} (not yet accepted). */
  public int sample(final Sampler sampler, final float[] logits) {
    return draw(sampler, logits).token();
  }

  /**
   * Draws the next token from {@code logits} (not yet accepted), masked by the constraint if there
   * is one, with its log probabilities if {@link SamplingParams#logprobs()} asks for them.
   */
  public Sample draw(final Sampler sampler, final float[] logits) {
    final Sampler.Draw draw = sampler.draw(logits, params, counts, constraint);
    if (!params.logprobs()) {
      return new Sample(draw.token(), null);
    }
    final List<TokenLogprob> top = new ArrayList<>(draw.top().size());
    for (final Sampler.Ranked r : draw.top()) {
      top.add(logprob(r.token(), r.logprob()));
    }
    return new Sample(draw.token(), new TokenLogprobs(logprob(draw.token(), draw.logprob()), top));
  }

  private TokenLogprob logprob(final int token, final double logprob) {
    return new TokenLogprob(token, logprob, tokenizer.tokenBytes(token));
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
    if (constraint != null) {
      constraint.accept(token); // throws, changing nothing, if the token is not allowed
    }
    counts.add(token);
    final StopMatcher.Step step = stops.push(decoder.push(token));
    if (step.stopped()) {
      finish = Finish.STOP;
      ended = true;
      return step.text();
    }
    if (constraint != null && constraint.complete()) {
      return step.text() + end(Finish.STOP);
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

  /** The constraint, or null for free text (read-only use). */
  public TokenConstraint constraint() {
    return constraint;
  }

  /** The counts of accepted tokens (read-only use). */
  public TokenCounts counts() {
    return counts;
  }
}
