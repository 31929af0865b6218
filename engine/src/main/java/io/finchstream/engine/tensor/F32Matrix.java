package io.finchstream.engine.tensor;

import io.finchstream.engine.WeightPrecision;

/**
 * A float32 matrix {@code [rows, cols]}: element {@code [r, c]} is {@code data[r * cols + c]}.
 *
 * @param data row-major values (not copied; never written after construction)
 * @param rows output features
 * @param cols input features
 */
public record F32Matrix(float[] data, int rows, int cols) implements Matrix {

  public F32Matrix {
    Matrix.checkShape(data.length, rows, cols);
  }

  @Override
  public WeightPrecision precision() {
    return WeightPrecision.FP32;
  }

  @Override
  public float get(final int row, final int col) {
    return data[row * cols + col];
  }

  @Override
  public void rowTo(final int row, final float[] dst, final int dstOff) {
    System.arraycopy(data, row * cols, dst, dstOff, cols);
  }
}
