package io.finchstream.engine.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.finchstream.engine.tensor.Bf16;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AttentionKernelsTest {

  /** The scalar kernels (null) and the vector kernels at every width. */
  private static List<VectorWidth> kinds() {
    final List<VectorWidth> kinds = new ArrayList<>();
    kinds.add(null);
    kinds.addAll(List.of(VectorWidth.values()));
    return kinds;
  }

  private static AttentionKernels kernels(final VectorWidth width, final int threads) {
    return width == null
        ? AttentionKernels.create(KernelKind.SCALAR, threads)
        : AttentionKernels.vector(width, threads);
  }

  static Stream<Arguments> shapes() {
    // dim, head size, chunk: head sizes below, at and above the vector widths, odd tails (also
    // of the four channels a score pass takes), chunks shorter than a vector and longer than four
    return Stream.of(
        Arguments.of(64, 64, 16),
        Arguments.of(42, 21, 9),
        Arguments.of(64, 32, 5),
        Arguments.of(24, 8, 3),
        Arguments.of(40, 20, 7),
        Arguments.of(128, 64, 64),
        Arguments.of(256, 128, 70));
  }

  /**
   * One conversation's cache: the keys and values of each position {@code [positions][A]} (bf16
   * exact, so the bf16 layout holds the same numbers), plus queries {@code [rows, A]}.
   */
  @SuppressWarnings("ArrayRecordComponent") // test inputs, read by index; never compared or hashed
  private record Case(float[] q, float[][] keys, float[][] values, int positions) {}

  private static Case randomCase(
      final Random random, final int dim, final int positions, final int rows) {
    final float[][] keys = new float[positions][dim];
    final float[][] values = new float[positions][dim];
    for (int s = 0; s < positions; s++) {
      for (int a = 0; a < dim; a++) {
        keys[s][a] = Bf16.toFloat(Bf16.fromFloat((float) random.nextGaussian()));
        values[s][a] = Bf16.toFloat(Bf16.fromFloat((float) random.nextGaussian()));
      }
    }
    final float[] q = new float[rows * dim];
    for (int i = 0; i < q.length; i++) {
      q[i] = (float) random.nextGaussian();
    }
    return new Case(q, keys, values, positions);
  }

  /**
   * The chunk arrays of the kernels' layout (keys {@code [A][cap]}, values {@code [H][cap][N]});
   * the last chunk's capacity is its filled positions + 3 (any capacity ≥ filled is valid).
   */
  private static float[][][] layout(final Case c, final int dim, final int n, final int chunk) {
    final int chunks = (c.positions() + chunk - 1) / chunk;
    final float[][] keys = new float[chunks][];
    final float[][] values = new float[chunks][];
    for (int j = 0; j < chunks; j++) {
      final int filled = Math.min(chunk, c.positions() - j * chunk);
      final int cap = j == chunks - 1 ? filled + 3 : chunk;
      keys[j] = new float[dim * cap];
      values[j] = new float[dim * cap];
      for (int p = 0; p < filled; p++) {
        for (int a = 0; a < dim; a++) {
          keys[j][a * cap + p] = c.keys()[j * chunk + p][a];
          values[j][(a / n * cap + p) * n + a % n] = c.values()[j * chunk + p][a];
        }
      }
    }
    return new float[][][] {keys, values};
  }

  private static short[][] bf16(final float[][] chunks) {
    final short[][] out = new short[chunks.length][];
    for (int j = 0; j < chunks.length; j++) {
      out[j] = new short[chunks[j].length];
      for (int i = 0; i < out[j].length; i++) {
        out[j][i] = Bf16.fromFloat(chunks[j][i]);
      }
    }
    return out;
  }

  /** The attention of every row over the case's cache, float32 or bf16 layout. */
  private static float[] run(
      final AttentionKernels kernels,
      final Case c,
      final int rows,
      final int dim,
      final int n,
      final int chunk,
      final int[] count,
      final boolean bf16) {
    final float[] out = new float[rows * dim];
    final float[][][] cache = layout(c, dim, n, chunk);
    final float scale = (float) (1 / Math.sqrt(n));
    if (bf16) {
      final short[][][] keys = new short[rows][][];
      final short[][][] values = new short[rows][][];
      Arrays.fill(keys, bf16(cache[0]));
      Arrays.fill(values, bf16(cache[1]));
      kernels.attention(out, c.q(), rows, dim, n, scale, keys, values, chunk, count);
    } else {
      final float[][][] keys = new float[rows][][];
      final float[][][] values = new float[rows][][];
      Arrays.fill(keys, cache[0]);
      Arrays.fill(values, cache[1]);
      kernels.attention(out, c.q(), rows, dim, n, scale, keys, values, chunk, count);
    }
    return out;
  }

  private static float[] run(
      final AttentionKernels kernels,
      final Case c,
      final int rows,
      final int dim,
      final int n,
      final int chunk,
      final int[] count) {
    return run(kernels, c, rows, dim, n, chunk, count, false);
  }

  /** The equations in double precision. */
  private static double[] reference(
      final Case c, final int rows, final int dim, final int n, final int[] count) {
    final double[] out = new double[rows * dim];
    for (int t = 0; t < rows; t++) {
      for (int h = 0; h < dim; h += n) {
        final double[] score = new double[count[t]];
        double max = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < count[t]; s++) {
          double dot = 0;
          for (int i = 0; i < n; i++) {
            dot += (double) c.q()[t * dim + h + i] * c.keys()[s][h + i];
          }
          score[s] = dot / Math.sqrt(n);
          max = Math.max(max, score[s]);
        }
        double sum = 0;
        for (int s = 0; s < count[t]; s++) {
          score[s] = Math.exp(score[s] - max);
          sum += score[s];
        }
        for (int i = 0; i < n; i++) {
          double o = 0;
          for (int s = 0; s < count[t]; s++) {
            o += score[s] * c.values()[s][h + i];
          }
          out[t * dim + h + i] = o / sum;
        }
      }
    }
    return out;
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void shouldMatchTheEquationsInDoublePrecision(final int dim, final int n, final int chunk) {
    final Random random = new Random(dim * 31 + n);
    final int rows = 6;
    final Case c = randomCase(random, dim, 37, rows);
    final int[] count = {1, 2, 17, 30, 36, 37};
    final double[] expected = reference(c, rows, dim, n, count);
    for (final VectorWidth kind : kinds()) {
      final float[] got = run(kernels(kind, 1), c, rows, dim, n, chunk, count);
      for (int i = 0; i < got.length; i++) {
        assertThat((double) got[i])
            .as("%s element %d", kind, i)
            .isCloseTo(expected[i], within(2e-5));
      }
    }
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void shouldGiveEachRowTheSameBitsAloneInABatchAndOnMoreThreads(
      final int dim, final int n, final int chunk) {
    final Random random = new Random(dim + n * 7);
    final int rows = 5;
    final Case c = randomCase(random, dim, 40, rows);
    final int[] count = {40, 3, 22, 39, 1};
    for (final VectorWidth kind : kinds()) {
      final float[] batch = run(kernels(kind, 1), c, rows, dim, n, chunk, count);
      final float[] threaded = run(kernels(kind, 3), c, rows, dim, n, chunk, count);
      assertThat(threaded).isEqualTo(batch);
      for (int t = 0; t < rows; t++) {
        final Case single =
            new Case(Arrays.copyOfRange(c.q(), t * dim, (t + 1) * dim), c.keys(), c.values(), 40);
        final float[] alone = run(kernels(kind, 1), single, 1, dim, n, chunk, new int[] {count[t]});
        assertThat(alone).isEqualTo(Arrays.copyOfRange(batch, t * dim, (t + 1) * dim));
      }
    }
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void shouldGiveTheScalarTwinsBitsAtEveryWidth(final int dim, final int n, final int chunk) {
    final Random random = new Random(n * 13 + chunk);
    final int rows = 4;
    final Case c = randomCase(random, dim, 50, rows);
    final int[] count = {50, 9, 25, 48};
    final float[] scalar = run(kernels(null, 1), c, rows, dim, n, chunk, count);
    // the cache holds bf16-exact numbers: the bf16 layout gives the same bits as float32
    assertThat(run(kernels(null, 1), c, rows, dim, n, chunk, count, true)).containsExactly(scalar);
    for (final VectorWidth width : VectorWidth.values()) {
      for (final boolean bf16 : new boolean[] {false, true}) {
        final float[] vector = run(kernels(width, 1), c, rows, dim, n, chunk, count, bf16);
        assertThat(vector).as("%s, bf16 %s", width, bf16).containsExactly(scalar);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void shouldNormaliseByTheRmsPlusEps(final int dim, final int n, final int chunk) {
    final Random random = new Random(dim);
    final float[] x = new float[3 * dim];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian() * 3;
    }
    final float[] out = new float[x.length];
    AttentionKernels.create(KernelKind.AUTO, 1).rmsNorm(out, x, 3, dim, 1e-8f);
    for (int t = 0; t < 3; t++) {
      double squares = 0;
      for (int i = 0; i < dim; i++) {
        squares += (double) x[t * dim + i] * x[t * dim + i];
      }
      final double rms = Math.sqrt(squares / dim) + 1e-8;
      for (int i = 0; i < dim; i++) {
        assertThat((double) out[t * dim + i]).isCloseTo(x[t * dim + i] / rms, within(1e-6));
      }
    }
    final float[] zero = new float[dim];
    AttentionKernels.create(KernelKind.AUTO, 1).rmsNorm(zero, zero, 1, dim, 1e-8f);
    assertThat(zero).containsOnly(0f); // eps keeps the all-zero row (position -1's shift) finite
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void shouldRotatePairsByPositionTimesFrequency(final int dim, final int n, final int chunk) {
    final float[] x = new float[2 * dim];
    final Random random = new Random(n);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    final float[] rotated = x.clone();
    final long[] positions = {0, 1234};
    AttentionKernels.create(KernelKind.AUTO, 1).rope(rotated, 2, dim, positions, n, 10000.0);
    for (int i = 0; i < dim; i++) {
      assertThat(rotated[i]).isEqualTo(x[i]); // position 0: identity
    }
    for (int h = 0; h < dim; h += n) {
      for (int i = 0; i < n / 2; i++) {
        final double angle = 1234 * Math.pow(10000.0, -2.0 * i / n);
        final int p = dim + h + 2 * i;
        assertThat((double) rotated[p])
            .isCloseTo(x[p] * Math.cos(angle) - x[p + 1] * Math.sin(angle), within(1e-5));
        assertThat((double) rotated[p + 1])
            .isCloseTo(x[p] * Math.sin(angle) + x[p + 1] * Math.cos(angle), within(1e-5));
      }
    }
  }
}
