package io.finchstream.engine.kernels;

/**
 * The one summation order of the norms' reductions: {@value #LANES} interleaved partial sums,
 * partial v taking the elements {@code i ≡ v (mod 16)} below {@code n − n % 16} in ascending order,
 * combined by a fixed pairwise tree (partial v += partial v + w, for w = 8, 4, 2, 1), then the last
 * {@code n % 16} elements added in order.
 *
 * <p>16 partials are the lanes of one 512-bit vector, two 256-bit or four 128-bit ones, so every
 * vector width, and the scalar twin, adds the same numbers in the same order: reductions give the
 * same bits on every machine. (The Vector API's {@code reduceLanes} leaves its order unspecified;
 * it is never used.)
 */
final class LaneSums {

  /** Partial sums of every reduction. */
  static final int LANES = 16;

  private LaneSums() {}

  /** The pairwise tree over {@code partial[off .. off + 16)} (overwrites it). */
  static float tree(final float[] partial, final int off) {
    for (int width = LANES / 2; width > 0; width >>= 1) {
      for (int i = 0; i < width; i++) {
        partial[off + i] += partial[off + i + width];
      }
    }
    return partial[off];
  }

  /** The elements below this index go to the partial sums, the rest are added in order. */
  static int bound(final int n) {
    return n - n % LANES;
  }

  /** {@code Σ x[off + i]} for i &lt; n. */
  static float sum(final float[] x, final int off, final int n) {
    final float[] partial = new float[LANES];
    final int upper = bound(n);
    for (int i = 0; i < upper; i += LANES) {
      for (int v = 0; v < LANES; v++) {
        partial[v] += x[off + i + v];
      }
    }
    float sum = tree(partial, 0);
    for (int i = upper; i < n; i++) {
      sum += x[off + i];
    }
    return sum;
  }

  /** {@code Σ (x[off + i] − mean)²} for i &lt; n, each square added by one FMA. */
  static float squaresAround(final float[] x, final int off, final int n, final float mean) {
    final float[] partial = new float[LANES];
    final int upper = bound(n);
    for (int i = 0; i < upper; i += LANES) {
      for (int v = 0; v < LANES; v++) {
        final float d = x[off + i + v] - mean;
        partial[v] = Math.fma(d, d, partial[v]);
      }
    }
    float squares = tree(partial, 0);
    for (int i = upper; i < n; i++) {
      final float d = x[off + i] - mean;
      squares = Math.fma(d, d, squares);
    }
    return squares;
  }
}
