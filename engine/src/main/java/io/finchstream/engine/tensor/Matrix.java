package io.finchstream.engine.tensor;

import io.finchstream.engine.WeightPrecision;

/**
 * A weight matrix {@code [rows, cols]}, row-major, held in one Java array in float32 or bfloat16.
 * Linear weights are stored like PyTorch's {@code nn.Linear}: {@code [out, in]}, applied as
 * {@code y = W·x}. Immutable by contract (the arrays are shared with the kernels, never written).
 */
public sealed interface Matrix permits F32Matrix, Bf16Matrix {

  /** Output features (rows). */
  int rows();

  /** Input features (columns, the contiguous dimension). */
  int cols();

  /** Storage precision. */
  WeightPrecision precision();

  /** Element {@code [row, col]} as float32. */
  float get(int row, int col);

  /** Row {@code row} widened to float32 into {@code dst[dstOff .. dstOff + cols)}. */
  void rowTo(int row, float[] dst, int dstOff);

  /** Bytes of the weight array. */
  default long bytes() {
    return (long) rows() * cols() * (precision() == WeightPrecision.BF16 ? 2 : 4);
  }

  /** Number of weights. */
  default long numel() {
    return (long) rows() * cols();
  }

  /**
   * A matrix of the given precision from row-major float32 values (taken over, not copied, for
   * FP32; rounded to nearest even for BF16).
   */
  static Matrix of(
      final float[] values, final int rows, final int cols, final WeightPrecision precision) {
    if (precision == WeightPrecision.FP32) {
      return new F32Matrix(values, rows, cols);
    }
    final short[] bits = new short[values.length];
    Bf16.narrow(values, 0, bits, 0, values.length);
    return new Bf16Matrix(bits, rows, cols);
  }

  /** Checks that an array of {@code length} elements holds exactly {@code rows × cols}. */
  static void checkShape(final int length, final int rows, final int cols) {
    if (rows < 1 || cols < 1 || (long) rows * cols != length) {
      throw new IllegalArgumentException(
          "matrix [" + rows + ", " + cols + "] needs " + (long) rows * cols + " values, got " + length);
    }
  }
}
