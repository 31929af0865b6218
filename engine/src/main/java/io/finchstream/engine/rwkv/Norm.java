package io.finchstream.engine.rwkv;

/**
 * The affine parameters of a LayerNorm or GroupNorm.
 *
 * @param weight {@code .weight} [C]
 * @param bias {@code .bias} [C]
 */
@SuppressWarnings("ArrayRecordComponent") // weights: read-only, never compared or hashed
public record Norm(float[] weight, float[] bias) {

  /**
   * eps of every LayerNorm of Finch and GoldFinch (ln0, ln1, ln2, ln_out, and GoldFinch's ln_x,
   * ln_q, ln_k, ln_v): PyTorch's default (finch-math §1, goldfinch-math §1).
   */
  public static final float LAYER_NORM_EPS = 1e-5f;
}
