package io.finchstream.engine.kernels;

/**
 * Scalar non-linearities shared by every {@link Kernels} implementation. They use {@link StrictMath}
 * (a pure-Java fdlibm), so a value never depends on whether the code is interpreted or compiled,
 * nor on the CPU: the element-wise kernels are bit-identical everywhere.
 */
final class Activations {

  private Activations() {}

  /** {@code 1 / (1 + e^-x)}, computed in double and rounded once. */
  static float sigmoid(final float x) {
    return (float) (1.0 / (1.0 + StrictMath.exp(-(double) x)));
  }

  /** {@code x · sigmoid(x)}. */
  static float silu(final float x) {
    return x * sigmoid(x);
  }

  /** {@code tanh(x)}. */
  static float tanh(final float x) {
    return (float) StrictMath.tanh(x);
  }

  /** The per-channel decay {@code exp(−exp(z))} in (0, 1] (§2.2), computed in double, rounded once. */
  static float decay(final float z) {
    return (float) StrictMath.exp(-StrictMath.exp(z));
  }
}
