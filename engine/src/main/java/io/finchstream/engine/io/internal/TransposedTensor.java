package io.finchstream.engine.io.internal;

import io.finchstream.engine.io.CheckpointTensor;

/**
 * A stored tensor {@code [..., b, a]} seen with its last two dimensions swapped, {@code [..., a,
 * b]} (e.g. the rwkv.cpp converter stores {@code time_maa_w1} transposed). These are small LoRA
 * matrices, so the stored values are decoded once, on first read, and kept.
 */
public final class TransposedTensor extends BaseTensor {

  private final CheckpointTensor stored;
  private final int rows; // a: canonical rows = stored columns
  private final int cols; // b: canonical columns = stored rows
  private volatile float[] storedValues;

  public TransposedTensor(final CheckpointTensor stored) {
    super(stored.name(), swapLastTwo(stored.shape()), stored.storedType());
    final long[] shape = shape();
    this.rows = Math.toIntExact(shape[shape.length - 2]);
    this.cols = Math.toIntExact(shape[shape.length - 1]);
    this.stored = stored;
  }

  private static long[] swapLastTwo(final long[] storedShape) {
    if (storedShape.length < 2) {
      throw new IllegalArgumentException("cannot transpose a " + storedShape.length + "-D tensor");
    }
    final long[] shape = storedShape.clone();
    final int n = shape.length;
    shape[n - 2] = storedShape[n - 1];
    shape[n - 1] = storedShape[n - 2];
    return shape;
  }

  @Override
  protected void read(final long offset, final float[] dst, final int dstOffset, final int count) {
    final float[] src = storedValues();
    final long plane = (long) rows * cols;
    for (int k = 0; k < count; k++) {
      final long e = offset + k; // canonical flat index = batch·plane + i·cols + j
      final long batch = e / plane;
      final int rem = (int) (e - batch * plane);
      final int i = rem / cols;
      final int j = rem - i * cols;
      dst[dstOffset + k] = src[(int) (batch * plane + (long) j * rows + i)]; // stored [batch][j][i]
    }
  }

  private float[] storedValues() {
    float[] values = storedValues;
    if (values == null) {
      synchronized (this) {
        values = storedValues;
        if (values == null) {
          values = stored.toFloats();
          storedValues = values;
        }
      }
    }
    return values;
  }
}
