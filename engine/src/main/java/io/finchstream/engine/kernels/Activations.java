package io.finchstream.engine.kernels;

/**
 * Scalar non-linearities shared by every {@link Kernels} implementation. {@code exp} is {@link
 * FastExp} (plain float operations, so the vector twins in {@link VectorKernels} reproduce it bit
 * for bit); {@code tanh}, needed only on the small LoRA vectors, is {@link StrictMath}'s. Neither
 * depends on whether the code is interpreted or compiled, nor on the CPU: the element-wise kernels
 * give the same bits everywhere.
 */
final class Activations {

  private Activations() {}

  /** {@code 1 / (1 + e^-x)}. */
  static float sigmoid(final float x) {
    return 1f / (1f + FastExp.exp(-x));
  }

  /** {@code x · sigmoid(x)}. */
  static float silu(final float x) {
    return x * sigmoid(x);
  }

  /** {@code tanh(x)}. */
  static float tanh(final float x) {
    return (float) StrictMath.tanh(x);
  }

  /** The per-channel decay {@code exp(−exp(z))} in [0, 1] (§2.2). */
  static float decay(final float z) {
    return FastExp.exp(-FastExp.exp(z));
  }
}
