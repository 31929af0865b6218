package io.finchstream.engine.sampling;

import java.util.List;

/**
 * The log probabilities of one generated token: the token drawn and the most likely tokens at that
 * step (OpenAI's {@code logprobs.content[i]} with its {@code top_logprobs}). Computed from the
 * logits after the penalties, {@code logit_bias} and the constraint mask, before temperature and
 * the filters (see {@link Sampler}).
 *
 * @param chosen the drawn token
 * @param top the {@link SamplingParams#topLogprobs()} most likely tokens, most likely first (ties
 *     to the lowest id); fewer if fewer tokens were allowed; empty if none were asked
 */
public record TokenLogprobs(TokenLogprob chosen, List<TokenLogprob> top) {

  /** Copies {@code top}. */
  public TokenLogprobs {
    top = List.copyOf(top);
  }
}
