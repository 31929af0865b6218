package io.finchstream.engine.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FastExpTest {

  @Test
  void shouldBeWithinTwoUlpOfTheTrueExponential() {
    final Random random = new Random(7);
    double worstUlps = 0;
    for (int i = 0; i < 200_000; i++) {
      final float x = FastExp.LO + random.nextFloat() * (FastExp.HI - FastExp.LO);
      final double exact = StrictMath.exp(x);
      final float got = FastExp.exp(x);
      worstUlps = Math.max(worstUlps, Math.abs(got - exact) / Math.ulp((float) exact));
    }
    assertThat(worstUlps).isLessThanOrEqualTo(2.0);
    assertThat(FastExp.exp(0f)).isEqualTo(1f);
  }

  @Test
  void shouldFlushTinyResultsToZero() {
    assertThat(FastExp.exp(-88f)).isZero();
    assertThat(FastExp.exp(Float.NEGATIVE_INFINITY)).isZero();
    assertThat(FastExp.exp(-87f)).isPositive();
  }

  @ParameterizedTest
  @EnumSource(VectorWidth.class)
  void shouldHaveABitIdenticalVectorTwin(final VectorWidth width) {
    final Random random = new Random(11);
    final float[] x = new float[16 * 4096 + 3]; // and a tail
    for (int i = 0; i < x.length; i++) {
      x[i] = i % 97 == 0 ? -100f : -90f + random.nextFloat() * 95f; // includes flushed arguments
    }
    final float[] vector = x.clone();
    ((ScalarAttentionKernels) AttentionKernels.vector(width, 1)).exp(vector, 0, x.length, 0f);
    for (int i = 0; i < x.length; i++) {
      assertThat(Float.floatToRawIntBits(vector[i]))
          .as("exp(%s)", x[i])
          .isEqualTo(Float.floatToRawIntBits(FastExp.exp(x[i])));
    }
  }
}
