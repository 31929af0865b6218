package io.finchstream.engine.io;

/** Element types a checkpoint can store. */
public enum DType {
  /** IEEE float32. */
  F32,
  /** IEEE float16. */
  F16,
  /** bfloat16: the high 16 bits of a float32. */
  BF16,
  /** ggml Q5_1: blocks of 32 values, fp16 scale and min, 5-bit quants (24 bytes per block). */
  Q5_1,
  /** ggml Q8_0: blocks of 32 values, fp16 scale, int8 quants (34 bytes per block). */
  Q8_0
}
