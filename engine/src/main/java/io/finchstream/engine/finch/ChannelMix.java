package io.finchstream.engine.finch;

import io.finchstream.engine.tensor.Matrix;

/**
 * The weights of one ChannelMix ({@code blocks.i.ffn.*}, finch-math §2.5), named as in the checkpoint.
 *
 * @param time_maa_k shift mix of the key input [C] (.pth [1, 1, C])
 * @param time_maa_r shift mix of the receptance input [C]
 * @param key {@code key.weight} [F, C]
 * @param receptance {@code receptance.weight} [C, C]
 * @param value {@code value.weight} [C, F]
 */
public record ChannelMix(float[] time_maa_k, float[] time_maa_r, Matrix key, Matrix receptance, Matrix value) {}
