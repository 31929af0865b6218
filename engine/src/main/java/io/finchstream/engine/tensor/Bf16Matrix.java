package io.finchstream.engine.tensor;

import io.finchstream.engine.WeightPrecision;

/**
 * A bfloat16 {@link Matrix} in the {@link PanelLayout} (bit patterns, rows in pairs). Widening to
 * float32 puts the 16 bits in the high half.
 */
public final class Bf16Matrix extends PanelMatrix {

  private final short[] data;

  Bf16Matrix(final short[] data, final int rows, final int cols) {
    super(rows, cols, true);
    this.data = data;
  }

  /** The packed bf16 bit patterns, for kernels (read-only by contract). */
  public short[] data() {
    return data;
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
  float element(final int i) {
    return Bf16.toFloat(data[i]);
  }
}
