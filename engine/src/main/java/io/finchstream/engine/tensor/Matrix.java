package io.finchstream.engine.tensor;

import io.finchstream.engine.WeightPrecision;

/**
 * A weight matrix {@code [rows, cols]} in float32, bfloat16 or block-scaled int8 ({@link
 * Q8Matrix}), held in Java arrays in the streaming {@link PanelLayout}. Linear weights are {@code
 * [out, in]} like PyTorch's {@code nn.Linear}, applied as {@code y = W·x}. Immutable (the arrays
 * are shared with the kernels, never written after building). Build one with {@link #of} or {@link
 * #builder}.
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
   * for BF16, quantized per block of 32 for INT8).
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

  /**
   * Fills a matrix from row-major float32 rows (rounded or quantized to the precision), or, for
   * INT8, from rows already quantized as Q8_0 blocks.
   */
  final class Builder {
    private final int rows;
    private final int cols;
    private final float[] f32;
    private final short[] bf16;
    private final byte[] q8;
    private final short[] q8Scales;

    private Builder(final int rows, final int cols, final WeightPrecision precision) {
      if (rows < 1 || cols < 1) {
        throw new IllegalArgumentException("matrix [" + rows + ", " + cols + "] must not be empty");
      }
      this.rows = rows;
      this.cols = cols;
      final int length = PanelLayout.length(rows, cols);
      this.f32 = precision == WeightPrecision.FP32 ? new float[length] : null;
      this.bf16 = precision == WeightPrecision.BF16 ? new short[length] : null;
      this.q8 = precision == WeightPrecision.INT8 ? new byte[length] : null;
      this.q8Scales =
          precision == WeightPrecision.INT8
              ? new short[PanelLayout.scalesLength(rows, cols)]
              : null;
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
        final int panel = r / PanelLayout.PANEL;
        final int at = PanelLayout.panelBase(panel, cols) + PanelLayout.slot(r, bf16 != null);
        if (f32 != null) {
          for (int c = 0; c < cols; c++) {
            f32[at + c * PanelLayout.PANEL] = src[s + c];
          }
        } else if (bf16 != null) {
          for (int c = 0; c < cols; c++) {
            bf16[at + c * PanelLayout.PANEL] = Bf16.fromFloat(src[s + c]);
          }
        } else {
          for (int b = 0, c = 0; c < cols; b++, c += Q8Matrix.BLOCK) {
            q8Scales[PanelLayout.scaleIndex(panel, b, r % PanelLayout.PANEL, cols)] =
                Q8Matrix.quantizeBlock(
                    src,
                    s + c,
                    Math.min(Q8Matrix.BLOCK, cols - c),
                    q8,
                    at + c * PanelLayout.PANEL,
                    PanelLayout.PANEL);
          }
        }
      }
      return this;
    }

    /**
     * Row {@code r} of an INT8 matrix from its Q8_0 blocks as stored: {@code cols} quants {@code
     * q[qOff ..]} and {@code ceil(cols / 32)} fp16 scales {@code d[dOff ..]} (no requantization).
     */
    public Builder quantizedRow(
        final int r, final byte[] q, final int qOff, final short[] d, final int dOff) {
      if (q8 == null) {
        throw new IllegalStateException("quantized rows go into INT8 matrices only");
      }
      if (r < 0 || r >= rows) {
        throw new IndexOutOfBoundsException("row " + r + " of " + rows);
      }
      final int panel = r / PanelLayout.PANEL;
      final int at = PanelLayout.panelBase(panel, cols) + PanelLayout.slot(r, false);
      for (int c = 0; c < cols; c++) {
        q8[at + c * PanelLayout.PANEL] = q[qOff + c];
      }
      for (int b = 0; b < PanelLayout.blocks(cols); b++) {
        q8Scales[PanelLayout.scaleIndex(panel, b, r % PanelLayout.PANEL, cols)] = d[dOff + b];
      }
      return this;
    }

    /** The matrix (the builder must not be used afterwards). */
    public Matrix build() {
      if (f32 != null) {
        return new F32Matrix(f32, rows, cols);
      }
      return bf16 != null
          ? new Bf16Matrix(bf16, rows, cols)
          : new Q8Matrix(q8, q8Scales, rows, cols);
    }
  }
}
