package io.finchstream.engine.kernels;

import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.tensor.Matrix;
import java.util.SplittableRandom;

/** Random inputs for kernel tests. */
final class KernelTestSupport {

  private KernelTestSupport() {}

  static float[] gaussian(final SplittableRandom random, final int n, final double std) {
    final float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) (std * random.nextGaussian());
    }
    return out;
  }

  static Matrix matrix(
      final SplittableRandom random, final int rows, final int cols, final WeightPrecision p) {
    return Matrix.of(gaussian(random, rows * cols, 1.0 / Math.sqrt(cols)), rows, cols, p);
  }

  /** max |a − b| over n elements. */
  static double maxAbsDiff(final float[] a, final float[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs((double) a[i] - b[i]));
    }
    return max;
  }
}
