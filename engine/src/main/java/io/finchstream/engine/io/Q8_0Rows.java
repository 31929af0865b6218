package io.finchstream.engine.io;

/**
 * The rows of a 2-D tensor {@code [rows, cols]} stored as ggml Q8_0 blocks (32 int8 quants and an
 * fp16 scale per block, along each row), for loaders that keep int8 weights as stored instead of
 * dequantizing and quantizing them again.
 */
public interface Q8_0Rows {

  /**
   * Row {@code row}: its {@code cols} quants into {@code quants[qOff ..]} and its {@code cols / 32}
   * fp16 scales (bit patterns) into {@code scales[sOff ..]}.
   */
  void readQ8_0Row(int row, byte[] quants, int qOff, short[] scales, int sOff);
}
