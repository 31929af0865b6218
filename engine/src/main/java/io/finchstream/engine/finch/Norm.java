package io.finchstream.engine.finch;

/**
 * The affine parameters of a LayerNorm or GroupNorm.
 *
 * @param weight {@code .weight} [C]
 * @param bias {@code .bias} [C]
 */
public record Norm(float[] weight, float[] bias) {}
