package io.finchstream.engine.finch;

/**
 * The affine parameters of a LayerNorm or GroupNorm.
 *
 * @param weight {@code .weight} [C]
 * @param bias {@code .bias} [C]
 */
@SuppressWarnings("ArrayRecordComponent") // weights: read-only, never compared or hashed
public record Norm(float[] weight, float[] bias) {}
