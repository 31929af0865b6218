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
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every vector kernel, at every vector width (the Vector API runs 128, 256 and 512 bits on any
 * machine), against its scalar twin: bit for bit, as the determinism contract of {@link Kernels}
 * says.
 */
class VectorKernelsTest {

  private final Kernels scalar = Kernels.create(KernelKind.SCALAR, 1);

  static Stream<Arguments> widthsAndPrecisions() {
    return Arrays.stream(VectorWidth.values())
        .flatMap(w -> Arrays.stream(WeightPrecision.values()).map(p -> Arguments.of(w, p)));
  }

  @ParameterizedTest
  @EnumSource(VectorWidth.class)
  void shouldNameItsWidth(final VectorWidth width) {
    assertThat(Kernels.vector(width, 1).name()).isEqualTo("vector-" + width.bits());
    assertThat(scalar.name()).isEqualTo("scalar");
  }

  @ParameterizedTest
  @MethodSource("widthsAndPrecisions")
  void shouldGiveTheScalarMatmulsBitsOnAllShapesAndStrides(
      final VectorWidth width, final WeightPrecision precision) {
    final Kernels vector = Kernels.vector(width, 1);
    final SplittableRandom random = new SplittableRandom(1);
    for (final int rows : new int[] {1, 2, 3, 4, 5, 8, 13}) {
      for (final int in : new int[] {1, 7, 8, 15, 16, 17, 32, 33, 100, 224}) {
        for (final int out : new int[] {1, 2, 3, 5, 9, 31, 32, 33, 64, 65, 130}) {
          final Matrix w = matrix(random, out, in, precision);
          final int xStride = in + 3;
          final int yStride = out + 2;
          final float[] x = gaussian(random, 5 + rows * xStride, 1);
          final float[] expected = new float[7 + rows * yStride];
          final float[] actual = expected.clone();
          scalar.matmul(expected, 7, yStride, x, 5, xStride, rows, w);
          vector.matmul(actual, 7, yStride, x, 5, xStride, rows, w);
          assertThat(actual).as("rows %d in %d out %d", rows, in, out).containsExactly(expected);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(VectorWidth.class)
  void shouldComputeTheMatmulOfTheEquation(final VectorWidth width) {
    // Y = X·Wᵀ, checked in double on a hand-sized case.
    final float[] w = {1, 2, 3, -1, 0, 0.5f};
    final Matrix m = Matrix.of(w, 2, 3, WeightPrecision.FP32);
    final float[] x = {1, 1, 1, 2, -1, 4};
    for (final Kernels k : new Kernels[] {scalar, Kernels.vector(width, 1)}) {
      final float[] y = new float[4];
      k.matmul(y, 0, 2, x, 0, 3, 2, m);
      assertThat(y).as(k.name()).containsExactly(6f, -0.5f, 12f, 0f);
    }
  }

  @ParameterizedTest
  @EnumSource(VectorWidth.class)
  void shouldGiveTheScalarNormsBits(final VectorWidth width) {
    final Kernels vector = Kernels.vector(width, 1);
    final SplittableRandom random = new SplittableRandom(2);
    for (final int c : new int[] {4, 8, 24, 64, 100, 2048}) {
      final float[] x = gaussian(random, 3 * c, 3);
      for (int i = 0; i < x.length; i++) {
        x[i] += 5; // a mean far from zero
      }
      final float[] weight = gaussian(random, c, 1);
      final float[] bias = gaussian(random, c, 1);
      final float[] a = new float[x.length];
      final float[] b = new float[x.length];
      scalar.layerNorm(a, x, 3, weight, bias, 1e-5f);
      vector.layerNorm(b, x, 3, weight, bias, 1e-5f);
      assertThat(b).as("layerNorm C=%d", c).containsExactly(a);
      final int group = c % 64 == 0 ? 64 : c % 8 == 0 ? 8 : 4;
      scalar.groupNorm(a, x, 3, group, weight, bias, 64e-5f);
      vector.groupNorm(b, x, 3, group, weight, bias, 64e-5f);
      assertThat(b).as("groupNorm C=%d", c).containsExactly(a);
    }
  }

  @ParameterizedTest
  @EnumSource(VectorWidth.class)
  void shouldBeBitIdenticalToScalarOnElementWiseKernels(final VectorWidth width) {
    final Kernels vector = Kernels.vector(width, 1);
    final SplittableRandom random = new SplittableRandom(3);
    final int c = 37; // not a multiple of any lane count: exercises the tails
    final int rows = 3;
    final int n = rows * c;
    final float[] a = gaussian(random, n, 2);
    final float[] d = gaussian(random, n, 2);
    final float[] mix = gaussian(random, c, 1);
    final float[] m = gaussian(random, 2 + rows * (c + 5), 1);
    for (final String op :
        new String[] {
          "sub",
          "add",
          "mul",
          "lerp",
          "ddlerp",
          "tanh",
          "silu",
          "reluSquare",
          "decay",
          "addSigmoidGated"
        }) {
      final float[] expected = a.clone();
      final float[] actual = a.clone();
      apply(scalar, op, expected, d, mix, m, rows, c);
      apply(vector, op, actual, d, mix, m, rows, c);
      assertThat(actual).as(op).containsExactly(expected);
      assertThat(actual).as(op + " changed something").isNotEqualTo(a);
    }
  }

  private static void apply(
      final Kernels k,
      final String op,
      final float[] x,
      final float[] d,
      final float[] mix,
      final float[] m,
      final int rows,
      final int c) {
    final int n = rows * c;
    switch (op) {
      case "sub" -> k.sub(x, 1, x.clone(), 0, d, 2, n - 2);
      case "add" -> k.add(x, d, n);
      case "mul" -> k.mul(x, d, n);
      case "lerp" -> k.lerp(x, x.clone(), d, mix, rows);
      case "ddlerp" -> k.ddlerp(x, x.clone(), d, mix, m, 2, c + 5, rows);
      case "tanh" -> k.tanh(x, n);
      case "silu" -> k.silu(x, n);
      case "reluSquare" -> k.reluSquare(x, n);
      case "decay" -> k.decay(x, mix, rows);
      case "addSigmoidGated" -> k.addSigmoidGated(x, d, m, n);
      default -> throw new IllegalArgumentException(op);
    }
  }

  @ParameterizedTest
  @EnumSource(VectorWidth.class)
  void shouldBeBitIdenticalToScalarOnWkv(final VectorWidth width) {
    final Kernels vector = Kernels.vector(width, 1);
    for (final int n : new int[] {4, 8, 16, 64, 20}) {
      final SplittableRandom random = new SplittableRandom(n);
      final int heads = 3;
      final int c = heads * n;
      final int[] start = {0, 3};
      final int[] count = {3, 2};
      final int rows = 5;
      final float[] r = gaussian(random, rows * c, 1);
      final float[] k = gaussian(random, rows * c, 1);
      final float[] v = gaussian(random, rows * c, 1);
      final float[] w = new float[rows * c];
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) random.nextDouble(0.05, 1);
      }
      final float[] u = gaussian(random, c, 0.3);
      final float[][] s1 = {gaussian(random, c * n, 1), gaussian(random, c * n, 1)};
      final float[][] s2 = {s1[0].clone(), s1[1].clone()};
      final float[] y1 = new float[rows * c];
      final float[] y2 = new float[rows * c];
      scalar.wkv(y1, r, k, v, w, u, s1, start, count, n);
      vector.wkv(y2, r, k, v, w, u, s2, start, count, n);
      assertThat(y2).as("y, N=%d", n).containsExactly(y1);
      assertThat(s2[0]).as("S0, N=%d", n).containsExactly(s1[0]);
      assertThat(s2[1]).as("S1, N=%d", n).containsExactly(s1[1]);
    }
  }
}
