package io.finchstream.engine.io.internal;

import java.util.Arrays;

/** Small helpers for tensor shapes (PyTorch order, C-contiguous). */
public final class Shapes {

  private Shapes() {}

  /** Product of the dimensions (1 for a scalar). */
  public static long numel(final long[] shape) {
    long n = 1;
    for (final long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** Renders a shape as {@code [64, 160]}. */
  public static String str(final long[] shape) {
    return Arrays.toString(shape);
  }

  /** The shape with its dimensions in reverse order (ggml {@code ne} to PyTorch and back). */
  public static long[] reversed(final long[] shape) {
    final long[] out = new long[shape.length];
    for (int i = 0; i < shape.length; i++) {
      out[i] = shape[shape.length - 1 - i];
    }
    return out;
  }
}
