package io.finchstream.engine.tensor;

import io.finchstream.engine.WeightPrecision;

/**
 * A weight matrix {@code [rows, cols]} in float32 or bfloat16, held in one Java array in the
 * streaming {@link PanelLayout}. Linear weights are {@code [out, in]} like PyTorch's {@code
 * nn.Linear}, applied as {@code y = W·x}. Immutable (the arrays are shared with the kernels, never
 * written after building). Build one with {@link #of} or {@link #builder}.
 */
public sealed interface Matrix permits PanelMatrix {

  /** Output features (rows). */
  int rows();

  /** Input features (columns, the reduced dimension). */
  int cols();

  /** Storage precision. */
  WeightPrecision precision();

  /** Element {@code [row, col]} as float32. */
  float get(int row, int col);

  /** Row {@code row} as float32 in column order into {@code dst[dstOff .. dstOff + cols)}. */
  void rowTo(int row, float[] dst, int dstOff);

  /** Bytes of the weight array (padding rows included). */
  long bytes();

  /** Number of weights. */
  default long numel() {
    return (long) rows() * cols();
  }

  /**
   * A matrix of the given precision from row-major float32 values (copied; rounded to nearest even
   * for BF16).
   */
  static Matrix of(
      final float[] rowMajor, final int rows, final int cols, final WeightPrecision precision) {
    if (rows < 1 || cols < 1 || (long) rows * cols != rowMajor.length) {
      throw new IllegalArgumentException(
          "matrix ["
              + rows
              + ", "
              + cols
              + "] needs "
              + (long) rows * cols
              + " values, got "
              + rowMajor.length);
    }
    return builder(rows, cols, precision).rows(0, rowMajor, 0, rows).build();
  }

  /** A builder that takes rows in any order, in pieces (for big tensors read block by block). */
  static Builder builder(final int rows, final int cols, final WeightPrecision precision) {
    return new Builder(rows, cols, precision);
  }

  /** Fills a matrix from row-major float32 rows. */
  final class Builder {
    private final int rows;
    private final int cols;
    private final float[] f32;
    private final short[] bf16;

    private Builder(final int rows, final int cols, final WeightPrecision precision) {
      if (rows < 1 || cols < 1) {
        throw new IllegalArgumentException("matrix [" + rows + ", " + cols + "] must not be empty");
      }
      this.rows = rows;
      this.cols = cols;
      final int length = PanelLayout.length(rows, cols);
      this.f32 = precision == WeightPrecision.FP32 ? new float[length] : null;
      this.bf16 = precision == WeightPrecision.BF16 ? new short[length] : null;
    }

    /**
     * Rows {@code [first, first + n)} from {@code src[srcOff ..]} (row-major, {@code n × cols}).
     */
    public Builder rows(final int first, final float[] src, final int srcOff, final int n) {
      if (first < 0
          || n < 0
          || first + n > rows
          || srcOff < 0
          || (long) srcOff + (long) n * cols > src.length) {
        throw new IndexOutOfBoundsException("rows [" + first + ", " + (first + n) + ") of " + rows);
      }
      for (int k = 0; k < n; k++) {
        final int r = first + k;
        final int s = srcOff + k * cols;
        final int at =
            PanelLayout.panelBase(r / PanelLayout.PANEL, cols) + PanelLayout.slot(r, bf16 != null);
        if (f32 != null) {
          for (int c = 0; c < cols; c++) {
            f32[at + c * PanelLayout.PANEL] = src[s + c];
          }
        } else {
          for (int c = 0; c < cols; c++) {
            bf16[at + c * PanelLayout.PANEL] = Bf16.fromFloat(src[s + c]);
          }
        }
      }
      return this;
    }

    /** The matrix (the builder must not be used afterwards). */
    public Matrix build() {
      return f32 != null ? new F32Matrix(f32, rows, cols) : new Bf16Matrix(bf16, rows, cols);
    }
  }
}
