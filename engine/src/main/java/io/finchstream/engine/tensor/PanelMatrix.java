package io.finchstream.engine.tensor;

/**
 * What a {@link Matrix} in the {@link PanelLayout} is whatever its element type: the sizes, and
 * element and row access through the layout's index. A subclass holds the array and decodes one
 * element.
 */
abstract sealed class PanelMatrix implements Matrix permits F32Matrix, Bf16Matrix, Q8Matrix {

  private final int rows;
  private final int cols;
  private final boolean paired;

  /** {@code paired}: the bf16 pair order of the layout. */
  PanelMatrix(final int rows, final int cols, final boolean paired) {
    this.rows = rows;
    this.cols = cols;
    this.paired = paired;
  }

  /** Element at array index {@code i}, as float32. */
  abstract float element(int i);

  @Override
  public final int rows() {
    return rows;
  }

  @Override
  public final int cols() {
    return cols;
  }

  @Override
  public float get(final int row, final int col) {
    return element(PanelLayout.index(row, col, cols, paired));
  }

  @Override
  public void rowTo(final int row, final float[] dst, final int dstOff) {
    final int at = PanelLayout.index(row, 0, cols, paired);
    for (int c = 0; c < cols; c++) {
      dst[dstOff + c] = element(at + c * PanelLayout.PANEL);
    }
  }
}
