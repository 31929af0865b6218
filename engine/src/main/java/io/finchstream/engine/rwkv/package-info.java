/**
 * The RWKV building blocks that Finch ({@code engine.finch}) and GoldFinch ({@code
 * engine.goldfinch}) share: the token shift, the channel mix, the time-mix LoRAs, the norms, the
 * output head, the row batcher that cuts a call into passes, the scratch pool, the strict weight
 * reader and seeded random weights. Each model package holds only what is its own: its config and
 * layout, its time mix, its pass over the layers, its scheduler and its state.
 */
package io.finchstream.engine.rwkv;
