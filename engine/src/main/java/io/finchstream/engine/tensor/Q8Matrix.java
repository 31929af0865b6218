package io.finchstream.engine.tensor;

import io.finchstream.engine.WeightPrecision;

/**
 * A per-block scaled int8 {@link Matrix} (ggml's Q8_0): each row is cut into blocks of {@value
 * #BLOCK} columns (the last block of a row may be shorter), and element {@code [r, c]} is {@code
 * q[r, c] · d[r, c / 32]} with int8 quants q and one fp16 scale d per block. The product is exact
 * in float32 (8 + 11 significant bits), so the matrix is exactly the float32 matrix of those
 * values.
 *
 * <p>Layout: the quants in the {@link PanelLayout} in row order (a panel column is 64 bytes, one
 * per row); the scales as fp16 bit patterns, for each panel and block the 64 scales of its rows in
 * row order ({@link PanelLayout#scaleIndex}), so a kernel streams both in step.
 */
public final class Q8Matrix extends PanelMatrix {

  /** Columns per block (ggml {@code QK8_0}). */
  public static final int BLOCK = 32;

  private final byte[] quants;
  private final short[] scales;

  Q8Matrix(final byte[] quants, final short[] scales, final int rows, final int cols) {
    super(rows, cols, false);
    this.quants = quants;
    this.scales = scales;
  }

  /** The int8 quants in the panel layout, for kernels (read-only by contract). */
  public byte[] quants() {
    return quants;
  }

  /** The fp16 scales, {@code [panel][block][64]} (read-only by contract). */
  public short[] scales() {
    return scales;
  }

  /** Blocks per row: {@code ceil(cols / 32)}. */
  public int blocks() {
    return PanelLayout.blocks(cols());
  }

  /** The quants of row {@code row} as floats (exact) into {@code dst[dstOff .. dstOff + cols)}. */
  public void quantsTo(final int row, final float[] dst, final int dstOff) {
    final int at = PanelLayout.index(row, 0, cols(), false);
    for (int c = 0; c < cols(); c++) {
      dst[dstOff + c] = quants[at + c * PanelLayout.PANEL];
    }
  }

  /**
   * The scales of row {@code row}, one per block, as floats (exact) into {@code dst[dstOff ..]}.
   */
  public void scalesTo(final int row, final float[] dst, final int dstOff) {
    final int panel = row / PanelLayout.PANEL;
    for (int b = 0; b < blocks(); b++) {
      dst[dstOff + b] =
          Float.float16ToFloat(
              scales[PanelLayout.scaleIndex(panel, b, row % PanelLayout.PANEL, cols())]);
    }
  }

  @Override
  public WeightPrecision precision() {
    return WeightPrecision.INT8;
  }

  @Override
  public long bytes() {
    return quants.length + 2L * scales.length;
  }

  @Override
  float element(final int i) {
    throw new UnsupportedOperationException("an int8 element needs its row and column");
  }

  @Override
  public float get(final int row, final int col) {
    final int panel = row / PanelLayout.PANEL;
    final float d =
        Float.float16ToFloat(
            scales[PanelLayout.scaleIndex(panel, col / BLOCK, row % PanelLayout.PANEL, cols())]);
    return quants[PanelLayout.index(row, col, cols(), false)] * d;
  }

  @Override
  public void rowTo(final int row, final float[] dst, final int dstOff) {
    for (int c = 0; c < cols(); c++) {
      dst[dstOff + c] = get(row, c);
    }
  }

  /**
   * Quantizes {@code n ≤ 32} values {@code x[off ..]} as ggml's {@code quantize_row_q8_0_ref} does:
   * {@code d = amax / 127}, {@code q = round(x / d)} (half away from zero, through {@code 1/d}), d
   * stored as fp16 (nearest even). Writes the quants to {@code q[qOff + j·qStride]} and returns the
   * fp16 bits of d.
   */
  static short quantizeBlock(
      final float[] x,
      final int off,
      final int n,
      final byte[] q,
      final int qOff,
      final int qStride) {
    float amax = 0f;
    for (int j = 0; j < n; j++) {
      amax = Math.max(amax, Math.abs(x[off + j]));
    }
    final float d = amax / 127f;
    final short stored = Float.floatToFloat16(d);
    if (!Float.isFinite(Float.float16ToFloat(stored))) {
      throw new IllegalArgumentException(
          "weights of magnitude "
              + amax
              + " do not fit int8 with an fp16 scale (at most 127 · 65504); load at fp32 or bf16");
    }
    final float id = d != 0f ? 1f / d : 0f;
    for (int j = 0; j < n; j++) {
      final double v = x[off + j] * id;
      final double r = Math.floor(Math.abs(v) + 0.5); // C roundf: half away from zero
      q[qOff + j * qStride] = (byte) (v < 0 ? -r : r);
    }
    return stored;
  }
}
