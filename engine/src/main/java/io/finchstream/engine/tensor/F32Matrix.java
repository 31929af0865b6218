package io.finchstream.engine.tensor;

import io.finchstream.engine.WeightPrecision;

/** A float32 {@link Matrix} in the {@link PanelLayout} (values in column order within a block). */
public final class F32Matrix implements Matrix {

  private final float[] data;
  private final int rows;
  private final int cols;

  F32Matrix(final float[] data, final int rows, final int cols) {
    this.data = data;
    this.rows = rows;
    this.cols = cols;
  }

  /** The packed array, for kernels (read-only by contract). */
  public float[] data() {
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
    return WeightPrecision.FP32;
  }

  @Override
  public long bytes() {
    return 4L * data.length;
  }

  @Override
  public float get(final int row, final int col) {
    return data[PanelLayout.index(row, col, cols, false)];
  }

  @Override
  public void rowTo(final int row, final float[] dst, final int dstOff) {
    final int blocked = PanelLayout.blockedCols(cols);
    for (int b = 0; b < blocked / PanelLayout.BLOCK_COLS; b++) {
      System.arraycopy(data, PanelLayout.blockIndex(row, b, cols), dst, dstOff + b * PanelLayout.BLOCK_COLS,
          PanelLayout.BLOCK_COLS);
    }
    System.arraycopy(data, PanelLayout.tailIndex(row, cols), dst, dstOff + blocked, cols - blocked);
  }
}
