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
  BF16,
  /**
   * About 1 byte per weight: the linear layers' weights in blocks of 32 inputs, each block int8
   * quants with one fp16 scale ({@code w = q·d}, rwkv.cpp's and ggml's Q8_0), read from Q8_0 files
   * as they are and quantized at load from any other format. The head, the embedding and the small
   * LoRA matrices stay {@link #BF16}, as rwkv.cpp keeps its head and embedding unquantized: they
   * decide the logits most directly, and the LoRAs are a small part of the bytes.
   */
  INT8;

  /** Lower-case name as shown to users ("fp32", "bf16", "int8"). */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The precision for matrices that are never quantized: {@link #BF16} for INT8, else this. */
  public WeightPrecision unquantized() {
    return this == INT8 ? BF16 : this;
  }

  /** The precision of a label ("fp32", "bf16", "int8", any case). */
  public static WeightPrecision ofLabel(final String label) {
    for (final WeightPrecision p : values()) {
      if (p.label().equalsIgnoreCase(label)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "unknown weight precision '" + label + "'; use fp32, bf16 or int8");
  }
}
