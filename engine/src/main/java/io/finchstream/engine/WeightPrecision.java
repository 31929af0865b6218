package io.finchstream.engine;

import java.util.Locale;

/**
 * How a model keeps its weight matrices in memory. Vectors (norms, mixing coefficients) are always
 * float32; compute is always float32.
 */
public enum WeightPrecision {
  /** 4 bytes per weight: exact copy of float32 checkpoints. */
  FP32,
  /**
   * 2 bytes per weight (bfloat16, round to nearest even): half the memory and half the bytes read
   * per token. Exact for the official RWKV checkpoints, which are stored in bf16.
   */
  BF16;

  /** Lower-case name as shown to users ("fp32", "bf16"). */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
