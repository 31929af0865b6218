package io.finchstream.engine.tensor;

import io.finchstream.engine.WeightPrecision;

/**
 * A bfloat16 {@link Matrix} in the {@link PanelLayout} (bit patterns; values in lo/hi pairs within a
 * block). Widening to float32 puts the 16 bits in the high half.
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
    final int blocked = PanelLayout.blockedCols(cols);
    for (int b = 0; b < blocked / PanelLayout.BLOCK_COLS; b++) {
      final int at = PanelLayout.blockIndex(row, b, cols);
      final int to = dstOff + b * PanelLayout.BLOCK_COLS;
      for (int l = 0; l < PanelLayout.HALF_BLOCK; l++) {
        dst[to + l] = Bf16.toFloat(data[at + 2 * l]);
        dst[to + PanelLayout.HALF_BLOCK + l] = Bf16.toFloat(data[at + 2 * l + 1]);
      }
    }
    Bf16.widen(data, PanelLayout.tailIndex(row, cols), dst, dstOff + blocked, cols - blocked);
  }
}
