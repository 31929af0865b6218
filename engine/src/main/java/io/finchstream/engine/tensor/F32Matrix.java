package io.finchstream.engine.tensor;

import io.finchstream.engine.WeightPrecision;

/** A float32 {@link Matrix} in the {@link PanelLayout}. */
public final class F32Matrix extends PanelMatrix {

  private final float[] data;

  F32Matrix(final float[] data, final int rows, final int cols) {
    super(rows, cols, false);
    this.data = data;
  }

  /** The packed array, for kernels (read-only by contract). */
  public float[] data() {
    return data;
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
  float element(final int i) {
    return data[i];
  }
}
