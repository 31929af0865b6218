package io.finchstream.engine.kernels;

import io.finchstream.engine.tensor.Bf16Matrix;
import io.finchstream.engine.tensor.F32Matrix;
import io.finchstream.engine.tensor.Matrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register-tiled, batch-invariant {@code Y[rows × out] = X[rows × in] · Wᵀ}.
 *
 * <p>Work is split over threads by blocks of {@value #TILE} output features. Inside a block, 4 rows
 * of X meet 4 rows of W in a 4×4 tile of vector accumulators (16 FMA chains per step); leftover rows
 * of X go through a 1×4 tile. bf16 weight rows are widened once per block into a float panel that
 * stays in cache while all rows of X pass; float32 rows are read in place. Leftover output features
 * (out % 4) reuse the last row and discard its extra results.
 *
 * <p>Batch invariance: every {@code Y[t][o]} is computed by the same sequence whatever the tile it
 * falls in: one vector accumulator FMA'd over {@code in} in steps of {@link #LANES} ascending, its
 * lanes summed by {@link #sumLanes} (a fixed pairwise tree), then the {@code in % LANES} tail FMA'd
 * in ascending order.
 */
final class VectorMatmul {

  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  static final int LANES = F.length();
  private static final VectorSpecies<Integer> I = F.withLanes(int.class);
  private static final VectorSpecies<Short> S =
      VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
  static final int TILE = 4;

  /** Per-thread buffers: the widened weight panel and the lane buffer of {@link #sumLanes}. */
  private static final class Scratch {
    private float[] panel = new float[0];
    private final float[] lanes = new float[LANES];

    float[] panel(final int size) {
      if (panel.length < size) {
        panel = new float[size];
      }
      return panel;
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private VectorMatmul() {}

  static void matmul(
      final Parallel parallel,
      final float[] y, final int yOff, final int yStride,
      final float[] x, final int xOff, final int xStride,
      final int rows, final Matrix w) {
    final int out = w.rows();
    final int blocks = (out + TILE - 1) / TILE;
    parallel.forRange(
        blocks,
        ScalarKernels.grain(rows, w.cols(), TILE),
        (b0, b1) ->
            outputs(y, yOff, yStride, x, xOff, xStride, rows, w, b0 * TILE, Math.min(out, b1 * TILE)));
  }

  // Output features [o0, o1) for all rows.
  private static void outputs(
      final float[] y, final int yOff, final int yStride,
      final float[] x, final int xOff, final int xStride,
      final int rows, final Matrix w, final int o0, final int o1) {
    final Scratch scratch = SCRATCH.get();
    final int in = w.cols();
    final int[] wOff = new int[TILE];
    for (int o = o0; o < o1; o += TILE) {
      final int count = Math.min(TILE, o1 - o);
      final float[] wArr;
      switch (w) {
        case F32Matrix f32 -> {
          wArr = f32.data();
          for (int b = 0; b < TILE; b++) {
            wOff[b] = (o + Math.min(b, count - 1)) * in;
          }
        }
        case Bf16Matrix bf16 -> {
          wArr = scratch.panel(TILE * in);
          for (int b = 0; b < count; b++) {
            widen(bf16.data(), (o + b) * in, wArr, b * in, in);
          }
          for (int b = 0; b < TILE; b++) {
            wOff[b] = Math.min(b, count - 1) * in;
          }
        }
      }
      int t = 0;
      for (; t + TILE <= rows; t += TILE) {
        tile4x4(y, yOff + t * yStride + o, yStride, x, xOff + t * xStride, xStride,
            wArr, wOff[0], wOff[1], wOff[2], wOff[3], in, count, scratch.lanes);
      }
      for (; t < rows; t++) {
        tile1x4(y, yOff + t * yStride + o, x, xOff + t * xStride,
            wArr, wOff[0], wOff[1], wOff[2], wOff[3], in, count, scratch.lanes);
      }
    }
  }

  /** bf16 → float32 for {@code n} values: the 16 bits go to the high half. */
  static void widen(final short[] src, final int srcOff, final float[] dst, final int dstOff, final int n) {
    final int upper = S.loopBound(n);
    int i = 0;
    for (; i < upper; i += LANES) {
      final IntVector wide =
          (IntVector) ShortVector.fromArray(S, src, srcOff + i).convertShape(VectorOperators.S2I, I, 0);
      wide.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, dstOff + i);
    }
    for (; i < n; i++) {
      dst[dstOff + i] = Float.intBitsToFloat(src[srcOff + i] << 16);
    }
  }

  /** The lanes of {@code acc} summed by a fixed pairwise tree (never the API's unordered reduction). */
  static float sumLanes(final FloatVector acc, final float[] lanes) {
    acc.intoArray(lanes, 0);
    for (int width = LANES / 2; width > 0; width >>= 1) {
      for (int i = 0; i < width; i++) {
        lanes[i] += lanes[i + width];
      }
    }
    return lanes[0];
  }

  // The one way an element is finished: lane sum, then the tail [from, in) FMA'd in order.
  private static float finish(
      final FloatVector acc, final float[] x, final int xb, final float[] w, final int wb,
      final int from, final int in, final float[] lanes) {
    float sum = sumLanes(acc, lanes);
    for (int i = from; i < in; i++) {
      sum = Math.fma(x[xb + i], w[wb + i], sum);
    }
    return sum;
  }

  // Y[t..t+3][o..o+count) from X rows x0, x0+xs, x0+2xs, x0+3xs and W rows at w0..w3.
  private static void tile4x4(
      final float[] y, final int y0, final int ys, final float[] x, final int x0, final int xs,
      final float[] w, final int w0, final int w1, final int w2, final int w3,
      final int in, final int count, final float[] lanes) {
    final int x1 = x0 + xs;
    final int x2 = x1 + xs;
    final int x3 = x2 + xs;
    FloatVector a00 = FloatVector.zero(F);
    FloatVector a01 = a00, a02 = a00, a03 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    final int upper = F.loopBound(in);
    for (int i = 0; i < upper; i += LANES) {
      final FloatVector b0 = FloatVector.fromArray(F, w, w0 + i);
      final FloatVector b1 = FloatVector.fromArray(F, w, w1 + i);
      final FloatVector b2 = FloatVector.fromArray(F, w, w2 + i);
      final FloatVector b3 = FloatVector.fromArray(F, w, w3 + i);
      FloatVector a = FloatVector.fromArray(F, x, x0 + i);
      a00 = a.fma(b0, a00);
      a01 = a.fma(b1, a01);
      a02 = a.fma(b2, a02);
      a03 = a.fma(b3, a03);
      a = FloatVector.fromArray(F, x, x1 + i);
      a10 = a.fma(b0, a10);
      a11 = a.fma(b1, a11);
      a12 = a.fma(b2, a12);
      a13 = a.fma(b3, a13);
      a = FloatVector.fromArray(F, x, x2 + i);
      a20 = a.fma(b0, a20);
      a21 = a.fma(b1, a21);
      a22 = a.fma(b2, a22);
      a23 = a.fma(b3, a23);
      a = FloatVector.fromArray(F, x, x3 + i);
      a30 = a.fma(b0, a30);
      a31 = a.fma(b1, a31);
      a32 = a.fma(b2, a32);
      a33 = a.fma(b3, a33);
    }
    store(y, y0, x, x0, w, w0, w1, w2, w3, a00, a01, a02, a03, upper, in, count, lanes);
    store(y, y0 + ys, x, x1, w, w0, w1, w2, w3, a10, a11, a12, a13, upper, in, count, lanes);
    store(y, y0 + 2 * ys, x, x2, w, w0, w1, w2, w3, a20, a21, a22, a23, upper, in, count, lanes);
    store(y, y0 + 3 * ys, x, x3, w, w0, w1, w2, w3, a30, a31, a32, a33, upper, in, count, lanes);
  }

  // Y[t][o..o+count) from one X row and W rows at w0..w3.
  private static void tile1x4(
      final float[] y, final int y0, final float[] x, final int x0,
      final float[] w, final int w0, final int w1, final int w2, final int w3,
      final int in, final int count, final float[] lanes) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = a0, a2 = a0, a3 = a0;
    final int upper = F.loopBound(in);
    for (int i = 0; i < upper; i += LANES) {
      final FloatVector a = FloatVector.fromArray(F, x, x0 + i);
      a0 = a.fma(FloatVector.fromArray(F, w, w0 + i), a0);
      a1 = a.fma(FloatVector.fromArray(F, w, w1 + i), a1);
      a2 = a.fma(FloatVector.fromArray(F, w, w2 + i), a2);
      a3 = a.fma(FloatVector.fromArray(F, w, w3 + i), a3);
    }
    store(y, y0, x, x0, w, w0, w1, w2, w3, a0, a1, a2, a3, upper, in, count, lanes);
  }

  // Finishes and stores the first `count` of the four accumulators of one X row.
  private static void store(
      final float[] y, final int y0, final float[] x, final int xb,
      final float[] w, final int w0, final int w1, final int w2, final int w3,
      final FloatVector c0, final FloatVector c1, final FloatVector c2, final FloatVector c3,
      final int upper, final int in, final int count, final float[] lanes) {
    y[y0] = finish(c0, x, xb, w, w0, upper, in, lanes);
    if (count > 1) {
      y[y0 + 1] = finish(c1, x, xb, w, w1, upper, in, lanes);
    }
    if (count > 2) {
      y[y0 + 2] = finish(c2, x, xb, w, w2, upper, in, lanes);
    }
    if (count > 3) {
      y[y0 + 3] = finish(c3, x, xb, w, w3, upper, in, lanes);
    }
  }
}
