package io.finchstream.engine.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

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

  @Test
  void shouldHaveABitIdenticalVectorTwin() {
    final Random random = new Random(11);
    final int lanes = FloatVector.SPECIES_PREFERRED.length();
    final float[] x = new float[lanes * 4096];
    for (int i = 0; i < x.length; i++) {
      x[i] = i % 97 == 0 ? -100f : -90f + random.nextFloat() * 95f; // includes flushed arguments
    }
    final float[] vector = new float[x.length];
    for (int i = 0; i < x.length; i += lanes) {
      VectorAttentionKernels.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, i))
          .intoArray(vector, i);
    }
    for (int i = 0; i < x.length; i++) {
      assertThat(Float.floatToRawIntBits(vector[i]))
          .as("exp(%s)", x[i])
          .isEqualTo(Float.floatToRawIntBits(FastExp.exp(x[i])));
    }
  }
}
