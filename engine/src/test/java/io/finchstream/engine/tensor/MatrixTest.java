package io.finchstream.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.WeightPrecision;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class MatrixTest {

  @ParameterizedTest
  @EnumSource(
      value = WeightPrecision.class,
      names = {"FP32", "BF16"})
  void shouldGiveBackEveryRowAndElementWhateverTheShape(final WeightPrecision precision) {
    final SplittableRandom random = new SplittableRandom(1);
    for (final int rows : new int[] {1, 3, 4, 5, 9}) {
      for (final int cols : new int[] {1, 16, 31, 32, 33, 64, 100}) {
        final float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
          values[i] =
              Bf16.toFloat(
                  Bf16.fromFloat((float) random.nextGaussian())); // exact in both precisions
        }
        final Matrix m = Matrix.of(values, rows, cols, precision);
        assertThat(m.rows()).isEqualTo(rows);
        assertThat(m.cols()).isEqualTo(cols);
        assertThat(m.precision()).isEqualTo(precision);
        assertThat(m.bytes())
            .isEqualTo(
                (long) PanelLayout.length(rows, cols)
                    * (precision == WeightPrecision.BF16 ? 2 : 4));
        final float[] row = new float[cols + 2];
        for (int r = 0; r < rows; r++) {
          m.rowTo(r, row, 2);
          assertThat(Arrays.copyOfRange(row, 2, cols + 2))
              .as("row %d of [%d, %d]", r, rows, cols)
              .containsExactly(Arrays.copyOfRange(values, r * cols, (r + 1) * cols));
          for (int c = 0; c < cols; c++) {
            assertThat(m.get(r, c)).isEqualTo(values[r * cols + c]);
          }
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(WeightPrecision.class)
  void shouldBuildTheSameMatrixFromRowsInAnyOrder(final WeightPrecision precision) {
    final float[] values = new float[7 * 40];
    for (int i = 0; i < values.length; i++) {
      values[i] = i * 0.25f;
    }
    final Matrix whole = Matrix.of(values, 7, 40, precision);
    final Matrix.Builder builder = Matrix.builder(7, 40, precision);
    builder.rows(5, values, 5 * 40, 2).rows(0, values, 0, 3).rows(3, values, 3 * 40, 2);
    final Matrix pieces = builder.build();
    final float[] a = new float[40];
    final float[] b = new float[40];
    for (int r = 0; r < 7; r++) {
      whole.rowTo(r, a, 0);
      pieces.rowTo(r, b, 0);
      assertThat(b).containsExactly(a);
    }
    assertThatThrownBy(() -> Matrix.builder(7, 40, precision).rows(6, values, 0, 2))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> Matrix.of(new float[5], 2, 3, precision))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldQuantizeEachBlockOf32AsGgmlQ8_0Does() {
    final SplittableRandom random = new SplittableRandom(3);
    for (final int rows : new int[] {1, 5, 70}) {
      for (final int cols : new int[] {1, 31, 32, 33, 100}) {
        final float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) (random.nextGaussian() * 0.02);
        }
        final Q8Matrix m = (Q8Matrix) Matrix.of(values, rows, cols, WeightPrecision.INT8);
        assertThat(m.precision()).isEqualTo(WeightPrecision.INT8);
        assertThat(m.bytes())
            .isEqualTo(PanelLayout.length(rows, cols) + 2L * PanelLayout.scalesLength(rows, cols));
        final float[] q = new float[cols];
        final float[] d = new float[m.blocks()];
        for (int r = 0; r < rows; r++) {
          m.quantsTo(r, q, 0);
          m.scalesTo(r, d, 0);
          for (int b = 0; b < m.blocks(); b++) {
            // d = amax / 127 rounded to fp16; q = round(x / d), the largest magnitude 127
            float amax = 0;
            for (int c = 32 * b; c < Math.min(cols, 32 * b + 32); c++) {
              amax = Math.max(amax, Math.abs(values[r * cols + c]));
            }
            assertThat(d[b]).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(amax / 127f)));
            for (int c = 32 * b; c < Math.min(cols, 32 * b + 32); c++) {
              final float x = values[r * cols + c];
              assertThat(Math.abs(q[c])).isLessThanOrEqualTo(127f);
              assertThat((double) q[c] * d[b])
                  .as("[%d, %d] of [%d, %d]", r, c, rows, cols)
                  .isCloseTo(
                      x,
                      // half a step, plus the fp16 rounding of d times the largest quant
                      Offset.offset(
                          0.5 * d[b] + 127 * Math.abs(d[b] - amax / 127.0) + 1e-6 * amax));
              assertThat(m.get(r, c)).isEqualTo(q[c] * d[b]);
            }
          }
        }
      }
    }
  }

  @Test
  void shouldRoundHalfAwayFromZeroAndKeepExactInt8Values() {
    // amax 127·0.5 gives d = 0.5 (exact in fp16): every multiple of 0.5 is kept exactly, and
    // ±0.25 (half a step) rounds away from zero, as C's roundf does
    final float[] row = new float[32];
    for (int c = 0; c < 32; c++) {
      row[c] = (c - 16) * 0.5f;
    }
    row[0] = 63.5f;
    row[1] = -0.25f;
    row[2] = 0.25f;
    final Matrix m = Matrix.of(row, 1, 32, WeightPrecision.INT8);
    assertThat(m.get(0, 0)).isEqualTo(63.5f);
    assertThat(m.get(0, 1)).isEqualTo(-0.5f);
    assertThat(m.get(0, 2)).isEqualTo(0.5f);
    for (int c = 3; c < 32; c++) {
      assertThat(m.get(0, c)).isEqualTo(row[c]);
    }
  }

  @Test
  void shouldTakeQuantizedRowsAsTheyAre() {
    final byte[] q = new byte[40];
    for (int c = 0; c < 40; c++) {
      q[c] = (byte) (c * 6 - 120);
    }
    final short[] d = {Float.floatToFloat16(0.125f), Float.floatToFloat16(-3f)};
    final Matrix.Builder b = Matrix.builder(3, 40, WeightPrecision.INT8);
    b.quantizedRow(2, q, 0, d, 0);
    final Matrix m = b.build();
    for (int c = 0; c < 40; c++) {
      assertThat(m.get(2, c)).isEqualTo(q[c] * (c < 32 ? 0.125f : -3f));
      assertThat(m.get(0, c)).isZero();
    }
    assertThatThrownBy(
            () -> Matrix.builder(3, 40, WeightPrecision.BF16).quantizedRow(0, q, 0, d, 0))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void shouldStoreEachPanelColumnByColumn() {
    // [64, 3]: column 0 of rows 0..63, then column 1, ...; the next panel after 64·cols values
    assertThat(PanelLayout.index(0, 0, 3, false)).isZero();
    assertThat(PanelLayout.index(1, 0, 3, false)).isEqualTo(1);
    assertThat(PanelLayout.index(0, 1, 3, false)).isEqualTo(64);
    assertThat(PanelLayout.index(63, 2, 3, false)).isEqualTo(2 * 64 + 63);
    assertThat(PanelLayout.index(64, 0, 3, false)).isEqualTo(3 * 64);
    // bf16 pairs (32g + l, 32g + 16 + l)
    assertThat(PanelLayout.index(16, 0, 3, true)).isEqualTo(1);
    assertThat(PanelLayout.index(1, 0, 3, true)).isEqualTo(2);
    assertThat(PanelLayout.index(32 + 17, 1, 3, true)).isEqualTo(64 + 32 + 3);
    assertThat(PanelLayout.length(65, 3)).isEqualTo(2 * 64 * 3);
  }
}
