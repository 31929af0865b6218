package io.finchstream.engine.kernels;

/**
 * A float {@code exp} for the softmax of attention. This is the scalar form; {@link
 * VectorAttentionKernels} has the vector twin, bit-identical per element: both run the same IEEE
 * operations (round-to-nearest via a magic constant, Cody–Waite reduction by ln 2 in two parts, the
 * degree-5 polynomial of Cephes' {@code expf}, scaling by 2^n built from the exponent bits), with
 * FMAs in the same places. {@code StrictMath.exp} would be as deterministic but about ten times
 * slower, and the softmax of a long context takes one exp per cached position, head and layer.
 *
 * <p>Accuracy: within 2 ulp of the true value for arguments in [−87.3, 88.3]; results below 2^−126
 * (arguments under −87.3) are flushed to 0, and arguments above 88.3 are clamped (the softmax only
 * evaluates arguments ≤ 0).
 */
@SuppressWarnings("FloatingPointLiteralPrecision") // Cephes' coefficients as published
final class FastExp {

  static final float LO = -87.3f;
  static final float HI = 88.3f;
  static final float LOG2E = 1.44269504088896341f;
  static final float MAGIC = 12582912f; // 1.5·2^23: adding it rounds to an integer
  static final int MAGIC_BITS = 0x4B400000;
  static final float LN2_HI = 0.693359375f; // ln 2 = LN2_HI + LN2_LO; LN2_HI has few bits
  static final float LN2_LO = -2.12194440e-4f;
  static final float P0 = 1.9875691500e-4f;
  static final float P1 = 1.3981999507e-3f;
  static final float P2 = 8.3334519073e-3f;
  static final float P3 = 4.1665795894e-2f;
  static final float P4 = 1.6666665459e-1f;
  static final float P5 = 5.0000001201e-1f;

  private FastExp() {}

  /** e^x. */
  static float exp(final float x) {
    if (x < LO) {
      return 0f;
    }
    final float xc = Math.min(x, HI);
    final float t = Math.fma(xc, LOG2E, MAGIC);
    final float n = t - MAGIC; // round(x·log2 e)
    final int ni = Float.floatToRawIntBits(t) - MAGIC_BITS;
    float r = Math.fma(-n, LN2_HI, xc);
    r = Math.fma(-n, LN2_LO, r); // r = x − n·ln 2, |r| ≤ ln2/2
    float p = Math.fma(P0, r, P1);
    p = Math.fma(p, r, P2);
    p = Math.fma(p, r, P3);
    p = Math.fma(p, r, P4);
    p = Math.fma(p, r, P5);
    final float y = Math.fma(p, r * r, r) + 1f; // e^r
    return y * Float.intBitsToFloat((ni + 127) << 23);
  }
}
