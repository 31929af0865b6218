package io.finchstream.engine.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * The exp-based activations are accurate (the vector twins are checked in {@link
 * VectorKernelsTest}).
 */
class ActivationsTest {

  @Test
  void shouldComputeSigmoidSiluAndDecayAccurately() {
    final SplittableRandom random = new SplittableRandom(5);
    for (int i = 0; i < 100_000; i++) {
      final float x = (float) random.nextDouble(-30, 30);
      final double sigmoid = 1 / (1 + StrictMath.exp(-x));
      assertThat((double) Activations.sigmoid(x))
          .isCloseTo(sigmoid, Offset.offset(3e-7 * sigmoid + 1e-30));
      assertThat((double) Activations.silu(x))
          .isCloseTo(x * sigmoid, Offset.offset(3e-7 * Math.abs(x * sigmoid) + 1e-30));
      final float z = (float) random.nextDouble(-12, 4);
      final double decay = StrictMath.exp(-StrictMath.exp(z));
      // float exp(−v) passes v's relative error on, times v: conditioning, not the approximation
      final double tolerance = decay * 2.5e-7 * (1 + StrictMath.exp(z)) + 1e-30;
      assertThat((double) Activations.decay(z)).isCloseTo(decay, Offset.offset(tolerance));
    }
    assertThat(Activations.decay(-100f)).isEqualTo(1f);
    assertThat(Activations.decay(10f)).isZero();
    assertThat(Activations.sigmoid(0f)).isEqualTo(0.5f);
  }
}
