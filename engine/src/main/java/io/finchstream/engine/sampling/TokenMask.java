package io.finchstream.engine.sampling;

/**
 * Which tokens may come next: the sampler asks it after the penalties and {@code logit_bias} and
 * before anything else (log probabilities, temperature, filters, draw), so a masked token is never
 * drawn and gets no probability. Implementations must be deterministic: the mask is a pure function
 * of what was generated so far and {@code remaining}.
 */
public interface TokenMask {

  /**
   * Sets the logit of every token that may not come next to −∞, leaving the others unchanged. At
   * least one logit must stay finite.
   *
   * @param logits (V) penalised and biased logits, modified in place
   * @param remaining tokens that may still be generated, this one included ({@code >= 1})
   */
  void apply(float[] logits, int remaining);
}
