package io.finchstream.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.WeightPrecision;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class MatrixTest {

  @ParameterizedTest
  @EnumSource(WeightPrecision.class)
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
