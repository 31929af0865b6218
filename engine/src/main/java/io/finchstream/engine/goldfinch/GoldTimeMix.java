package io.finchstream.engine.goldfinch;

import io.finchstream.engine.rwkv.Norm;
import io.finchstream.engine.tensor.Matrix;

/**
 * The weights of one GOLD time mix ({@code blocks.i.att.*}, i ≥ L_F; goldfinch-math §4), named as
 * in the checkpoint; LoRA matrices held output-major (transposed from the .pth).
 *
 * @param time_maa_x static shift mix of the query LoRA input [C]
 * @param time_maa_q shift mix of the query [C]
 * @param time_maa_v_cache shift mix of the kv-LoRA input (embedding side) [C]
 * @param time_maa_k shift mix of the key (kD side) [C]
 * @param time_maa_v shift mix of the value (embedding side) [C]
 * @param time_maa_q_w1 query LoRA down, held [D_Q, C]
 * @param time_maa_q_w2 query LoRA up, held [C, D_Q]
 * @param time_maa_kv_w1 kv-mix LoRA down, held [2·D_KV, C]
 * @param time_maa_kv_w2 kv-mix LoRA up for k and v, each held [C, D_KV] (.pth [2, D_KV, C])
 * @param time_key_w1 key "loradapt" down, held [DVL, C]
 * @param time_key_w2 key loradapt up, held [A, DVL]
 * @param time_value_w1 value loradapt down, held [DVL, C]
 * @param time_value_w2 value loradapt up, held [A, DVL]
 * @param query {@code query.weight} [A, C]
 * @param output {@code output.weight} [C, A]
 * @param ln_q LayerNorm of the query [A]
 * @param ln_k LayerNorm of the key [A]
 * @param ln_v LayerNorm of the value [A]
 * @param ln_x LayerNorm of the attention output [A]
 */
@SuppressWarnings("ArrayRecordComponent") // weights: read-only, never compared or hashed
public record GoldTimeMix(
    float[] time_maa_x,
    float[] time_maa_q,
    float[] time_maa_v_cache,
    float[] time_maa_k,
    float[] time_maa_v,
    Matrix time_maa_q_w1,
    Matrix time_maa_q_w2,
    Matrix time_maa_kv_w1,
    Matrix[] time_maa_kv_w2,
    Matrix time_key_w1,
    Matrix time_key_w2,
    Matrix time_value_w1,
    Matrix time_value_w2,
    Matrix query,
    Matrix output,
    Norm ln_q,
    Norm ln_k,
    Norm ln_v,
    Norm ln_x) {}
