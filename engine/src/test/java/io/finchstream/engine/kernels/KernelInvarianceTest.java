package io.finchstream.engine.kernels;

import static io.finchstream.engine.kernels.KernelTestSupport.gaussian;
import static io.finchstream.engine.kernels.KernelTestSupport.matrix;
import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.tensor.Matrix;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bit-exact invariances of every implementation: a row's result does not depend on the other rows
 * in the call, on where it sits in the tiling, or on the thread count.
 */
class KernelInvarianceTest {

  /** The scalar kernels and the vector kernels at every width (null: scalar), every precision. */
  static Stream<Arguments> kinds() {
    return Stream.concat(Stream.of((VectorWidth) null), Stream.of(VectorWidth.values()))
        .flatMap(k -> Stream.of(WeightPrecision.values()).map(p -> Arguments.of(k, p)));
  }

  private static Kernels kernels(final VectorWidth width, final int threads) {
    return width == null
        ? Kernels.create(KernelKind.SCALAR, threads)
        : Kernels.vector(width, threads);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void shouldGiveEachMatmulRowTheSameBitsAloneOrInAnyBatch(
      final VectorWidth kind, final WeightPrecision p) {
    final Kernels kernels = kernels(kind, 1);
    final SplittableRandom random = new SplittableRandom(11);
    for (final int in : new int[] {33, 64, 160}) {
      final int out = 67;
      final Matrix w = matrix(random, out, in, p);
      final int rows = 19;
      final float[] x = gaussian(random, rows * in, 1);
      final float[] all = new float[rows * out];
      kernels.matmul(all, 0, out, x, 0, in, rows, w);
      // each row alone (at its own offset: same data, different position in the tiling)
      for (int t = 0; t < rows; t++) {
        final float[] one = new float[out];
        kernels.matmul(one, 0, out, x, t * in, in, 1, w);
        assertThat(one)
            .as("row %d alone, in %d", t, in)
            .containsExactly(Arrays.copyOfRange(all, t * out, (t + 1) * out));
      }
      // rows in shifted groups of 3, 5, 7: every row lands in other tiles
      for (final int group : new int[] {3, 5, 7}) {
        final float[] grouped = new float[rows * out];
        for (int t = 0; t < rows; t += group) {
          final int n = Math.min(group, rows - t);
          kernels.matmul(grouped, t * out, out, x, t * in, in, n, w);
        }
        assertThat(grouped).as("groups of %d, in %d", group, in).isEqualTo(all);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void shouldGiveTheSameMatmulBitsOnAnyThreadCount(
      final VectorWidth kind, final WeightPrecision p) {
    final SplittableRandom random = new SplittableRandom(12);
    final int in = 256;
    final int out = 1030; // big enough to be split; not a multiple of the tile
    final Matrix w = matrix(random, out, in, p);
    final int rows = 9;
    final float[] x = gaussian(random, rows * in, 1);
    final float[] reference = new float[rows * out];
    kernels(kind, 1).matmul(reference, 0, out, x, 0, in, rows, w);
    for (final int threads : new int[] {2, 3, 4}) {
      final float[] y = new float[rows * out];
      kernels(kind, threads).matmul(y, 0, out, x, 0, in, rows, w);
      assertThat(y).as("%d threads", threads).isEqualTo(reference);
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void shouldRunWkvTheSameWhateverTheSegmentsAndThreads(
      final VectorWidth kind, final WeightPrecision ignored) {
    final SplittableRandom random = new SplittableRandom(13);
    final int n = 16;
    final int heads = 4;
    final int c = heads * n;
    final int rows = 7;
    final float[] r = gaussian(random, rows * c, 1);
    final float[] k = gaussian(random, rows * c, 1);
    final float[] v = gaussian(random, rows * c, 1);
    final float[] w = new float[rows * c];
    Arrays.fill(w, 0.9f);
    final float[] u = gaussian(random, c, 0.3);
    final float[] s0 = gaussian(random, c * n, 1);
    // all 7 rows as one segment
    final float[][] whole = {s0.clone()};
    final float[] yWhole = new float[rows * c];
    kernels(kind, 1).wkv(yWhole, r, k, v, w, u, whole, new int[] {0}, new int[] {rows}, n);
    // the same 7 rows one call per token, on 3 threads
    final float[][] stepwise = {s0.clone()};
    final float[] ySteps = new float[rows * c];
    final Kernels threaded = kernels(kind, 3);
    for (int t = 0; t < rows; t++) {
      threaded.wkv(ySteps, r, k, v, w, u, stepwise, new int[] {t}, new int[] {1}, n);
    }
    assertThat(ySteps).containsExactly(yWhole);
    assertThat(stepwise[0]).containsExactly(whole[0]);
  }
}
