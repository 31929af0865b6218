/**
 * GoldFinch inference (../shared/docs/goldfinch-math.md): Finch-C2 blocks, the TokenCat key
 * compression, GOLD attention blocks over a per-conversation cache, the Finch channel mix.
 *
 * <p>Entry points: {@link io.finchstream.engine.goldfinch.GoldFinchModel} (a {@link
 * io.finchstream.engine.LanguageModel}; loaded by {@link io.finchstream.engine.Models} when a
 * checkpoint has {@code att.query.weight} keys), {@link
 * io.finchstream.engine.goldfinch.GoldFinchState} and its {@link
 * io.finchstream.engine.goldfinch.GoldCache}. Two paths compute identical bits: every token through
 * all layers (decode steps), and streaming prefill, where ingesting a token runs only the Finch-C2
 * blocks, the compression and the cache append, and the GOLD stack runs over the final 2G tokens
 * when logits are needed ({@link io.finchstream.engine.goldfinch.FinchC2Pass}, {@link
 * io.finchstream.engine.goldfinch.GoldPass}).
 *
 * <p>Tested against an independent float64 NumPy implementation ({@code tools/goldfinch_ref.py})
 * through committed fixtures.
 */
package io.finchstream.engine.goldfinch;
