package io.finchstream.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.WeightPrecision;
import org.junit.jupiter.api.Test;

class Bf16Test {

  @Test
  void shouldWidenByPuttingTheBitsInTheHighHalf() {
    assertThat(Bf16.toFloat((short) 0x3F80)).isEqualTo(1.0f);
    assertThat(Bf16.toFloat((short) 0xC000)).isEqualTo(-2.0f);
    assertThat(Bf16.toFloat((short) 0x7F80)).isEqualTo(Float.POSITIVE_INFINITY);
  }

  @Test
  void shouldRoundToNearestEven() {
    // 1 + 2^-8 is exactly between bf16 neighbours 1 and 1 + 2^-7: ties to even (1).
    assertThat(Bf16.fromFloat(1.0f + 0x1p-8f)).isEqualTo((short) 0x3F80);
    // 1 + 3·2^-8 is between 1 + 2^-7 (odd) and 1 + 2^-6 (even): ties to even (1 + 2^-6).
    assertThat(Bf16.fromFloat(1.0f + 3 * 0x1p-8f)).isEqualTo((short) 0x3F82);
    // just above the tie rounds up
    assertThat(Bf16.fromFloat(Math.nextUp(1.0f + 0x1p-8f))).isEqualTo((short) 0x3F81);
    assertThat(Bf16.fromFloat(-1.5f)).isEqualTo((short) 0xBFC0);
  }

  @Test
  void shouldKeepNaNAndExactValues() {
    assertThat(Float.isNaN(Bf16.toFloat(Bf16.fromFloat(Float.NaN)))).isTrue();
    for (final float v : new float[] {0f, -0f, 1f, 0.15625f, -1024f, 3.0e38f}) {
      if (Bf16.isExact(v)) {
        assertThat(Bf16.toFloat(Bf16.fromFloat(v))).isEqualTo(v);
      }
    }
    assertThat(Bf16.isExact(1.0f)).isTrue();
    assertThat(Bf16.isExact(1.0f + 0x1p-20f)).isFalse();
  }

  @Test
  void shouldBuildMatricesOfEitherPrecisionWithSameValuesWhenExact() {
    final float[] values = {1f, -2f, 0.5f, 0.25f, 3f, -0.125f};
    final Matrix f32 = Matrix.of(values.clone(), 2, 3, WeightPrecision.FP32);
    final Matrix bf16 = Matrix.of(values.clone(), 2, 3, WeightPrecision.BF16);
    assertThat(bf16.bytes()).isEqualTo(f32.bytes() / 2);
    final float[] a = new float[3];
    final float[] b = new float[3];
    for (int r = 0; r < 2; r++) {
      f32.rowTo(r, a, 0);
      bf16.rowTo(r, b, 0);
      assertThat(b).containsExactly(a);
      assertThat(bf16.get(r, 2)).isEqualTo(values[r * 3 + 2]);
    }
  }
}
