package io.finchstream.engine.tensor;

import io.finchstream.engine.WeightPrecision;

/**
 * A bfloat16 matrix {@code [rows, cols]}: element {@code [r, c]} is the bf16 bit pattern {@code
 * data[r * cols + c]} (widened to float32 by putting it in the high half).
 *
 * @param data row-major bf16 bit patterns (not copied; never written after construction)
 * @param rows output features
 * @param cols input features
 */
public record Bf16Matrix(short[] data, int rows, int cols) implements Matrix {

  public Bf16Matrix {
    Matrix.checkShape(data.length, rows, cols);
  }

  @Override
  public WeightPrecision precision() {
    return WeightPrecision.BF16;
  }

  @Override
  public float get(final int row, final int col) {
    return Bf16.toFloat(data[row * cols + col]);
  }

  @Override
  public void rowTo(final int row, final float[] dst, final int dstOff) {
    Bf16.widen(data, row * cols, dst, dstOff, cols);
  }
}
