/**
 * Turning logits into the next token, deterministically and replayably.
 *
 * <ul>
 *   <li>{@link io.finchstream.engine.sampling.SamplingParams} — the request's knobs, with
 *       validation.
 *   <li>{@link io.finchstream.engine.sampling.Sampler} — penalties → temperature → top-k → softmax
 *       → top-p → min-p → draw; the random number of step k is a pure function of (seed, k).
 *   <li>{@link io.finchstream.engine.sampling.TokenCounts} — counts of the tokens generated so far.
 *   <li>{@link io.finchstream.engine.sampling.StopMatcher} — stop strings over streamed text.
 * </ul>
 */
package io.finchstream.engine.sampling;
