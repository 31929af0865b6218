package io.finchstream.engine.structured;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.sampling.TokenConstraint;
import io.finchstream.engine.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;

/**
 * The {@link TokenConstraint} of one generation under a {@link TokenGrammar}: it masks every draw
 * to the tokens that keep the output a valid prefix of a value (and, near {@code max_tokens}, to
 * those after which the value can still be completed in time), allows end of text only where the
 * value may end, and is {@link #complete()} when the value is. Its position is a pure function of
 * the tokens accepted, so a generation replayed from its tokens masks exactly as before. Not
 * thread-safe; {@link #copy()} forks it.
 */
public final class JsonConstraint implements TokenConstraint {

  private final TokenGrammar grammar;
  private final Frame.Sink sink = new Frame.Sink();
  private ParseState state;
  private float[] scratch = new float[0];

  JsonConstraint(final TokenGrammar grammar, final ParseState state) {
    this.grammar = grammar;
    this.state = state;
  }

  @Override
  public void apply(final float[] logits, final int remaining) {
    if (logits.length != grammar.table().vocabSize()) {
      throw new EngineException(
          "logits of "
              + logits.length
              + " tokens, but the response format was compiled for a vocabulary of "
              + grammar.table().vocabSize());
    }
    scratch = grammar.entry(state).apply(logits, remaining, scratch);
  }

  @Override
  public void accept(final int token) {
    if (token == Tokenizer.END_OF_TEXT) {
      if (!state.mayEnd()) {
        throw new EngineException("end of text is not allowed here: the JSON value is incomplete");
      }
      return;
    }
    if (token < 0 || token >= grammar.table().vocabSize()) {
      throw new EngineException("token " + token + " is outside the vocabulary");
    }
    final ParseState next = grammar.advance(state, token, sink);
    if (next == null) {
      throw new EngineException(
          "token "
              + token
              + " ("
              + new String(grammar.table().bytes(token), StandardCharsets.UTF_8)
              + ") is not allowed here by the response format");
    }
    state = next;
  }

  @Override
  public boolean complete() {
    return state.done();
  }

  /** Whether the output may end here (a complete value). */
  public boolean mayEnd() {
    return state.mayEnd();
  }

  @Override
  public int tokensToComplete() {
    return state.minBytes;
  }

  @Override
  public JsonConstraint copy() {
    return new JsonConstraint(grammar, state);
  }

  /** The grammar. */
  public TokenGrammar grammar() {
    return grammar;
  }
}
