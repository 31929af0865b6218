package io.finchstream.engine.tensor;

/**
 * How a {@link Matrix} {@code [rows, cols]} is laid out in its array, for streaming kernels that
 * give each output feature (row) its own vector lane: rows in panels of {@value #PANEL} (the last
 * padded with zeros); a panel stores, for each column (input feature) in order, the {@value #PANEL}
 * values of its rows. So a matmul reads a panel as one sequential stream, and a vector load at
 * column i yields consecutive output features.
 *
 * <p>float32 values of a column are in row order. bf16 values are in pairs per group of 32 rows:
 * pair l of group g holds rows {@code (32g + l, 32g + 16 + l)} for l = 0..15, so that a kernel
 * loading them as 32-bit lanes gets the first row of each pair by a left shift and the second by a
 * mask (no conversion instruction).
 */
public final class PanelLayout {

  /** Rows (output features) per panel. */
  public static final int PANEL = 64;

  /** Rows per bf16 pair group. */
  public static final int GROUP = 32;

  /** Row distance between the two values of a bf16 pair. */
  public static final int HALF_GROUP = GROUP / 2;

  private PanelLayout() {}

  /** Number of panels. */
  public static int panels(final int rows) {
    return (rows + PANEL - 1) / PANEL;
  }

  /** Array length for {@code [rows, cols]} (padding rows included). */
  public static int length(final int rows, final int cols) {
    final long n = (long) panels(rows) * PANEL * cols;
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "matrix [" + rows + ", " + cols + "] is too large for one array");
    }
    return (int) n;
  }

  /** First array index of panel {@code p}: its column 0. */
  public static int panelBase(final int panel, final int cols) {
    return panel * PANEL * cols;
  }

  /** Position of row {@code r} inside a panel's column; {@code paired} for the bf16 pair order. */
  public static int slot(final int r, final boolean paired) {
    final int q = r % PANEL;
    if (!paired) {
      return q;
    }
    final int w = q % GROUP;
    return q - w + (w < HALF_GROUP ? 2 * w : 2 * (w - HALF_GROUP) + 1);
  }

  /** Quantization blocks of a row of {@code cols} columns ({@link Q8Matrix#BLOCK} each). */
  public static int blocks(final int cols) {
    return (cols + Q8Matrix.BLOCK - 1) / Q8Matrix.BLOCK;
  }

  /** Length of the scale array of an int8 matrix {@code [rows, cols]}. */
  public static int scalesLength(final int rows, final int cols) {
    return panels(rows) * blocks(cols) * PANEL;
  }

  /**
   * Index of the scale of block {@code block} of row {@code r % PANEL} of panel {@code panel} in an
   * int8 matrix of {@code cols} columns: the scales of a panel's block are its 64 rows in order.
   */
  public static int scaleIndex(final int panel, final int block, final int r, final int cols) {
    return (panel * blocks(cols) + block) * PANEL + r;
  }

  /** Index of element {@code [r, c]}. */
  public static int index(final int r, final int c, final int cols, final boolean paired) {
    return panelBase(r / PANEL, cols) + c * PANEL + slot(r, paired);
  }
}
