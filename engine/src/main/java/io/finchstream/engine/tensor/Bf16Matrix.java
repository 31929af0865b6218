package io.finchstream.engine.tensor;

import io.finchstream.engine.WeightPrecision;

/**
 * A bfloat16 {@link Matrix} in the {@link PanelLayout} (bit patterns, rows in pairs). Widening to
 * float32 puts the 16 bits in the high half.
 */
public final class Bf16Matrix implements Matrix {

  private final short[] data;
  private final int rows;
  private final int cols;

  Bf16Matrix(final short[] data, final int rows, final int cols) {
    this.data = data;
    this.rows = rows;
    this.cols = cols;
  }

  /** The packed bf16 bit patterns, for kernels (read-only by contract). */
  public short[] data() {
    return data;
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public int cols() {
    return cols;
  }

  @Override
  public WeightPrecision precision() {
    return WeightPrecision.BF16;
  }

  @Override
  public long bytes() {
    return 2L * data.length;
  }

  @Override
  public float get(final int row, final int col) {
    return Bf16.toFloat(data[PanelLayout.index(row, col, cols, true)]);
  }

  @Override
  public void rowTo(final int row, final float[] dst, final int dstOff) {
    final int at = PanelLayout.index(row, 0, cols, true);
    for (int c = 0; c < cols; c++) {
      dst[dstOff + c] = Bf16.toFloat(data[at + c * PanelLayout.PANEL]);
    }
  }
}
