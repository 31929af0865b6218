/**
 * Turning logits into the next token, deterministically and replayably. See {@code
 * docs/SAMPLING.md}.
 *
 * <ul>
 *   <li>{@link io.finchstream.engine.sampling.SamplingParams} — the request's knobs ({@code
 *       logit_bias} and {@code logprobs} included), with validation.
 *   <li>{@link io.finchstream.engine.sampling.Sampler} — penalties → logit_bias → mask → logprobs →
 *       temperature → top-k → softmax → top-p → min-p → draw; the random number of step k is a pure
 *       function of (seed, k).
 *   <li>{@link io.finchstream.engine.sampling.Generation} — one reply: draws, counts, streaming
 *       text, stop rules, an optional {@link io.finchstream.engine.sampling.TokenConstraint}.
 *   <li>{@link io.finchstream.engine.sampling.Choices} — {@code n} replies to one prompt, decoded
 *       in one batch, one seed stream each.
 *   <li>{@link io.finchstream.engine.sampling.TokenCounts} — counts of the tokens generated so far.
 *   <li>{@link io.finchstream.engine.sampling.StopMatcher} — stop strings over streamed text.
 * </ul>
 */
package io.finchstream.engine.sampling;
