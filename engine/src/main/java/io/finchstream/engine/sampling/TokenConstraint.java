package io.finchstream.engine.sampling;

/**
 * A {@link TokenMask} that follows the tokens of one generation, e.g. a JSON grammar: {@link
 * Generation} asks it for the mask before every draw, feeds it every accepted token, and ends the
 * reply (finish {@link Generation.Finish#STOP}) as soon as it is {@link #complete()}.
 *
 * <p>End of text (token 0) is a token like any other for the mask: an implementation allows it only
 * where the output may end. Mutable, one per generation; {@link #copy()} forks it.
 */
public interface TokenConstraint extends TokenMask {

  /**
   * Advances past {@code token}, which the mask allowed (or which was generated under the same
   * constraint before, when a generation is replayed).
   *
   * @throws io.finchstream.engine.EngineException if the token is not allowed here
   */
  void accept(int token);

  /** Whether the output is complete and nothing may follow: the reply ends here. */
  boolean complete();

  /**
   * The fewest tokens that still complete the output from here (an upper bound is allowed; 0 when
   * it may end now). {@link Generation} refuses a {@code max_tokens} smaller than this at the
   * start, and the mask keeps the completion within the remaining budget from then on.
   */
  int tokensToComplete();

  /** An independent copy in the same position (fork a generation). */
  TokenConstraint copy();
}
