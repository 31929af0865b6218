package io.finchstream.engine.tensor;

/**
 * How a {@link Matrix} {@code [rows, cols]} is laid out in its array, for streaming kernels: rows in
 * panels of {@value #PANEL_ROWS} (the last padded with zeros), each panel stored as column blocks
 * of {@value #BLOCK_COLS}: block b holds, for each of the 4 rows, that row's 32 values of columns
 * {@code [32b, 32b + 32)}; the {@code cols % 32} tail columns follow the blocks, 4 rows × tail,
 * row-major. So a 1×4 or 4×4 matmul tile reads one panel as one sequential stream.
 *
 * <p>Inside a row's block, float32 values are in column order; bf16 values are in pairs {@code
 * (col 32b + l, col 32b + 16 + l)} for l = 0..15, so that a kernel loading them as 32-bit lanes gets
 * the first half by a left shift and the second half by a mask (no conversion instruction).
 */
public final class PanelLayout {

  /** Rows per panel (the matmul tile height on the weight side). */
  public static final int PANEL_ROWS = 4;

  /** Columns per block. */
  public static final int BLOCK_COLS = 32;

  /** Half a block: the column distance between the two values of a bf16 pair. */
  public static final int HALF_BLOCK = BLOCK_COLS / 2;

  private PanelLayout() {}

  /** Number of panels. */
  public static int panels(final int rows) {
    return (rows + PANEL_ROWS - 1) / PANEL_ROWS;
  }

  /** Array length for {@code [rows, cols]} (padding rows included). */
  public static int length(final int rows, final int cols) {
    final long n = (long) panels(rows) * PANEL_ROWS * cols;
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("matrix [" + rows + ", " + cols + "] is too large for one array");
    }
    return (int) n;
  }

  /** Columns covered by whole blocks: {@code cols − cols % 32}. */
  public static int blockedCols(final int cols) {
    return cols / BLOCK_COLS * BLOCK_COLS;
  }

  /** First array index of panel {@code p}. */
  public static int panelBase(final int panel, final int cols) {
    return panel * PANEL_ROWS * cols;
  }

  /** Index of row {@code r}'s block {@code b} (its 32 values follow). */
  public static int blockIndex(final int r, final int b, final int cols) {
    return panelBase(r / PANEL_ROWS, cols) + b * PANEL_ROWS * BLOCK_COLS + (r % PANEL_ROWS) * BLOCK_COLS;
  }

  /** Index of row {@code r}'s first tail value (tail column {@code blockedCols(cols)}). */
  public static int tailIndex(final int r, final int cols) {
    final int blocked = blockedCols(cols);
    return panelBase(r / PANEL_ROWS, cols) + PANEL_ROWS * blocked + (r % PANEL_ROWS) * (cols - blocked);
  }

  /** Index of element {@code [r, c]}; {@code paired} for the bf16 pair order. */
  public static int index(final int r, final int c, final int cols, final boolean paired) {
    final int blocked = blockedCols(cols);
    if (c >= blocked) {
      return tailIndex(r, cols) + c - blocked;
    }
    final int within = c % BLOCK_COLS;
    final int slot = !paired ? within : within < HALF_BLOCK ? 2 * within : 2 * (within - HALF_BLOCK) + 1;
    return blockIndex(r, c / BLOCK_COLS, cols) + slot;
  }
}
