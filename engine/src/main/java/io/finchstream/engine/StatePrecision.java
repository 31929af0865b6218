package io.finchstream.engine;

/** Precision of a serialized recurrent state. */
public enum StatePrecision {
  /** Exact: restoring gives a bit-identical state. */
  FP32,
  /**
   * The large WKV matrices rounded to bfloat16 (half the bytes, not bit-exact); vectors stay fp32.
   */
  BF16
}
