package io.finchstream.engine.kernels;

import static io.finchstream.engine.tensor.PanelLayout.BLOCK_COLS;
import static io.finchstream.engine.tensor.PanelLayout.HALF_BLOCK;
import static io.finchstream.engine.tensor.PanelLayout.PANEL_ROWS;

import io.finchstream.engine.tensor.Bf16Matrix;
import io.finchstream.engine.tensor.F32Matrix;
import io.finchstream.engine.tensor.Matrix;
import io.finchstream.engine.tensor.PanelLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register-tiled, batch-invariant {@code Y[rows × out] = X[rows × in] · Wᵀ} over weights in the
 * {@link PanelLayout}.
 *
 * <p>Threads split the output features by panels of 4 weight rows. A panel is one sequential stream
 * of memory; 4 rows of X meet it in a 4×4 tile of vector accumulators (16 FMA chains), leftover
 * rows of X in a 1×4 tile (the decode case: bandwidth-bound, 4 chains). bf16 weights are widened in
 * registers: a lo/hi pair loaded as one 32-bit lane gives its first value by a left shift and its
 * second by a mask.
 *
 * <p>Batch invariance: every {@code Y[t][o]} is computed by one sequence whatever tile it falls in
 * and whatever the precision of W: one accumulator vector; for each 32-column block ascending and
 * each half-block step h (0 for 512-bit vectors), {@code acc = fma(x[32b + h ..], w, acc)} then
 * {@code acc = fma(x[32b + 16 + h ..], w, acc)}; then its lanes summed by {@link #sumLanes} (a fixed
 * pairwise tree), then the {@code in % 32} tail columns FMA'd in ascending order.
 */
final class VectorMatmul {

  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  static final int LANES = F.length();
  private static final VectorSpecies<Short> S =
      VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize()));
  private static final int HI_MASK = 0xFFFF0000;
  /** Block offset of row r of a panel: blocks interleave the 4 rows. */
  private static final int PANEL_BLOCK = PANEL_ROWS * BLOCK_COLS;

  /** Per-thread buffers: stored accumulators of a tile and widened bf16 tails. */
  private static final class Scratch {
    private final float[] acc = new float[PANEL_ROWS * PANEL_ROWS * LANES];
    private final float[] tail = new float[PANEL_ROWS * BLOCK_COLS];
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private VectorMatmul() {}

  static void matmul(
      final Parallel parallel,
      final float[] y, final int yOff, final int yStride,
      final float[] x, final int xOff, final int xStride,
      final int rows, final Matrix w) {
    parallel.forRange(
        PanelLayout.panels(w.rows()),
        ScalarKernels.grain(rows, w.cols(), PANEL_ROWS),
        (p0, p1) -> panels(y, yOff, yStride, x, xOff, xStride, rows, w, p0, p1));
  }

  // Weight panels [p0, p1) for all rows of X.
  private static void panels(
      final float[] y, final int yOff, final int yStride,
      final float[] x, final int xOff, final int xStride,
      final int rows, final Matrix w, final int p0, final int p1) {
    final Scratch scratch = SCRATCH.get();
    final int in = w.cols();
    for (int p = p0; p < p1; p++) {
      final int o = p * PANEL_ROWS;
      final int count = Math.min(PANEL_ROWS, w.rows() - o);
      final int base = PanelLayout.panelBase(p, in);
      int t = 0;
      switch (w) {
        case F32Matrix f32 -> {
          final int tailOff = PanelLayout.tailIndex(o, in);
          for (; t + PANEL_ROWS <= rows; t += PANEL_ROWS) {
            tile4x4(y, yOff + t * yStride + o, yStride, x, xOff + t * xStride, xStride, f32.data(), base, in,
                tailOff, count, scratch.acc);
          }
          for (; t < rows; t++) {
            tile1x4(y, yOff + t * yStride + o, x, xOff + t * xStride, f32.data(), base, in, tailOff, count,
                scratch.acc);
          }
        }
        case Bf16Matrix bf16 -> {
          widenTails(bf16, p, scratch.tail);
          for (; t + PANEL_ROWS <= rows; t += PANEL_ROWS) {
            tile4x4Bf16(y, yOff + t * yStride + o, yStride, x, xOff + t * xStride, xStride, bf16.data(), base,
                in, scratch.tail, count, scratch.acc);
          }
          for (; t < rows; t++) {
            tile1x4Bf16(y, yOff + t * yStride + o, x, xOff + t * xStride, bf16.data(), base, in, scratch.tail,
                count, scratch.acc);
          }
        }
      }
    }
  }

  // The tail columns of a bf16 panel, widened: row r's tail at tail[r · in%32 ..].
  private static void widenTails(final Bf16Matrix w, final int panel, final float[] tail) {
    final int in = w.cols();
    final int n = PANEL_ROWS * (in - PanelLayout.blockedCols(in));
    final int from = PanelLayout.tailIndex(panel * PANEL_ROWS, in);
    final short[] data = w.data();
    for (int i = 0; i < n; i++) {
      tail[i] = Float.intBitsToFloat(data[from + i] << 16);
    }
  }

  /**
   * The lane sum of one accumulator stored at {@code lanes[off .. off + LANES)}, by a fixed pairwise
   * tree (never the API's unordered {@code reduceLanes}, whose order may differ between the
   * interpreter and compiled code). Vectors never cross a call: callers store them first, so C2
   * keeps the accumulators in registers.
   */
  static float sumLanes(final float[] lanes, final int off) {
    for (int width = LANES / 2; width > 0; width >>= 1) {
      for (int i = 0; i < width; i++) {
        lanes[off + i] += lanes[off + i + width];
      }
    }
    return lanes[off];
  }

  // Finishes Y[t][o..o+count) of one X row from its 4 stored accumulators at acc[accOff ..]: lane
  // sums, then the tail columns [blocked, in) with weights tail[tailOff + r·tailLen + j].
  private static void store(
      final float[] y, final int y0, final float[] x, final int xb, final float[] acc, final int accOff,
      final float[] tail, final int tailOff, final int in, final int count) {
    final int blocked = PanelLayout.blockedCols(in);
    final int tailLen = in - blocked;
    for (int r = 0; r < count; r++) {
      float sum = sumLanes(acc, accOff + r * LANES);
      final int wt = tailOff + r * tailLen - blocked;
      for (int j = blocked; j < in; j++) {
        sum = Math.fma(x[xb + j], tail[wt + j], sum);
      }
      y[y0 + r] = sum;
    }
  }

  // ---- float32 weights -------------------------------------------------------------------------
  // Column steps per block: h = 0, LANES, .. < 16, and for each h first k = h (first half), then
  // k = h + 16 (second half); row r's values of columns c + k .. are at wb + 32·r + k.

  // Y[t..t+3][o..o+count) from X rows x0 + i·xs and the panel at w[base ..].
  private static void tile4x4(
      final float[] y, final int y0, final int ys, final float[] x, final int x0, final int xs,
      final float[] w, final int base, final int in, final int tailOff, final int count, final float[] acc) {
    final int x1 = x0 + xs;
    final int x2 = x1 + xs;
    final int x3 = x2 + xs;
    FloatVector a00 = FloatVector.zero(F);
    FloatVector a01 = a00, a02 = a00, a03 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    final int blocked = PanelLayout.blockedCols(in);
    for (int c = 0, wb = base; c < blocked; c += BLOCK_COLS, wb += PANEL_BLOCK) {
      for (int h = 0; h < HALF_BLOCK; h += LANES) {
        for (int k = h; k < BLOCK_COLS; k += HALF_BLOCK) {
          final FloatVector b0 = FloatVector.fromArray(F, w, wb + k);
          final FloatVector b1 = FloatVector.fromArray(F, w, wb + BLOCK_COLS + k);
          final FloatVector b2 = FloatVector.fromArray(F, w, wb + 2 * BLOCK_COLS + k);
          final FloatVector b3 = FloatVector.fromArray(F, w, wb + 3 * BLOCK_COLS + k);
          FloatVector a = FloatVector.fromArray(F, x, x0 + c + k);
          a00 = a.fma(b0, a00);
          a01 = a.fma(b1, a01);
          a02 = a.fma(b2, a02);
          a03 = a.fma(b3, a03);
          a = FloatVector.fromArray(F, x, x1 + c + k);
          a10 = a.fma(b0, a10);
          a11 = a.fma(b1, a11);
          a12 = a.fma(b2, a12);
          a13 = a.fma(b3, a13);
          a = FloatVector.fromArray(F, x, x2 + c + k);
          a20 = a.fma(b0, a20);
          a21 = a.fma(b1, a21);
          a22 = a.fma(b2, a22);
          a23 = a.fma(b3, a23);
          a = FloatVector.fromArray(F, x, x3 + c + k);
          a30 = a.fma(b0, a30);
          a31 = a.fma(b1, a31);
          a32 = a.fma(b2, a32);
          a33 = a.fma(b3, a33);
        }
      }
    }
    a00.intoArray(acc, 0);
    a01.intoArray(acc, LANES);
    a02.intoArray(acc, 2 * LANES);
    a03.intoArray(acc, 3 * LANES);
    a10.intoArray(acc, 4 * LANES);
    a11.intoArray(acc, 5 * LANES);
    a12.intoArray(acc, 6 * LANES);
    a13.intoArray(acc, 7 * LANES);
    a20.intoArray(acc, 8 * LANES);
    a21.intoArray(acc, 9 * LANES);
    a22.intoArray(acc, 10 * LANES);
    a23.intoArray(acc, 11 * LANES);
    a30.intoArray(acc, 12 * LANES);
    a31.intoArray(acc, 13 * LANES);
    a32.intoArray(acc, 14 * LANES);
    a33.intoArray(acc, 15 * LANES);
    store(y, y0, x, x0, acc, 0, w, tailOff, in, count);
    store(y, y0 + ys, x, x1, acc, 4 * LANES, w, tailOff, in, count);
    store(y, y0 + 2 * ys, x, x2, acc, 8 * LANES, w, tailOff, in, count);
    store(y, y0 + 3 * ys, x, x3, acc, 12 * LANES, w, tailOff, in, count);
  }

  // Y[t][o..o+count) from one X row and the panel at w[base ..].
  private static void tile1x4(
      final float[] y, final int y0, final float[] x, final int x0, final float[] w, final int base,
      final int in, final int tailOff, final int count, final float[] acc) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = a0, a2 = a0, a3 = a0;
    final int blocked = PanelLayout.blockedCols(in);
    for (int c = 0, wb = base; c < blocked; c += BLOCK_COLS, wb += PANEL_BLOCK) {
      for (int h = 0; h < HALF_BLOCK; h += LANES) {
        for (int k = h; k < BLOCK_COLS; k += HALF_BLOCK) {
          final FloatVector a = FloatVector.fromArray(F, x, x0 + c + k);
          a0 = a.fma(FloatVector.fromArray(F, w, wb + k), a0);
          a1 = a.fma(FloatVector.fromArray(F, w, wb + BLOCK_COLS + k), a1);
          a2 = a.fma(FloatVector.fromArray(F, w, wb + 2 * BLOCK_COLS + k), a2);
          a3 = a.fma(FloatVector.fromArray(F, w, wb + 3 * BLOCK_COLS + k), a3);
        }
      }
    }
    a0.intoArray(acc, 0);
    a1.intoArray(acc, LANES);
    a2.intoArray(acc, 2 * LANES);
    a3.intoArray(acc, 3 * LANES);
    store(y, y0, x, x0, acc, 0, w, tailOff, in, count);
  }

  // ---- bf16 weights ----------------------------------------------------------------------------
  // Row r's pairs l = h .. h+LANES−1 of a block are one vector of 32-bit lanes at wb + 32·r + 2h:
  // (lane << 16) are columns c + h .., (lane & 0xFFFF0000) columns c + 16 + h .. : the same column
  // order as the float32 kernels.

  private static FloatVector first(final IntVector pairs) {
    return pairs.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
  }

  private static FloatVector second(final IntVector pairs) {
    return pairs.and(HI_MASK).reinterpretAsFloats();
  }

  private static IntVector pairs(final short[] w, final int at) {
    return ShortVector.fromArray(S, w, at).reinterpretAsInts();
  }

  // Y[t..t+3][o..o+count) from X rows x0 + i·xs and the bf16 panel at w[base ..].
  private static void tile4x4Bf16(
      final float[] y, final int y0, final int ys, final float[] x, final int x0, final int xs,
      final short[] w, final int base, final int in, final float[] tail, final int count, final float[] acc) {
    final int x1 = x0 + xs;
    final int x2 = x1 + xs;
    final int x3 = x2 + xs;
    FloatVector a00 = FloatVector.zero(F);
    FloatVector a01 = a00, a02 = a00, a03 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    final int blocked = PanelLayout.blockedCols(in);
    for (int c = 0, wb = base; c < blocked; c += BLOCK_COLS, wb += PANEL_BLOCK) {
      for (int h = 0; h < HALF_BLOCK; h += LANES) {
        final IntVector p0 = pairs(w, wb + 2 * h);
        final IntVector p1 = pairs(w, wb + BLOCK_COLS + 2 * h);
        final IntVector p2 = pairs(w, wb + 2 * BLOCK_COLS + 2 * h);
        final IntVector p3 = pairs(w, wb + 3 * BLOCK_COLS + 2 * h);
        for (int half = 0; half < 2; half++) {
          final FloatVector b0 = half == 0 ? first(p0) : second(p0);
          final FloatVector b1 = half == 0 ? first(p1) : second(p1);
          final FloatVector b2 = half == 0 ? first(p2) : second(p2);
          final FloatVector b3 = half == 0 ? first(p3) : second(p3);
          final int k = c + h + half * HALF_BLOCK;
          FloatVector a = FloatVector.fromArray(F, x, x0 + k);
          a00 = a.fma(b0, a00);
          a01 = a.fma(b1, a01);
          a02 = a.fma(b2, a02);
          a03 = a.fma(b3, a03);
          a = FloatVector.fromArray(F, x, x1 + k);
          a10 = a.fma(b0, a10);
          a11 = a.fma(b1, a11);
          a12 = a.fma(b2, a12);
          a13 = a.fma(b3, a13);
          a = FloatVector.fromArray(F, x, x2 + k);
          a20 = a.fma(b0, a20);
          a21 = a.fma(b1, a21);
          a22 = a.fma(b2, a22);
          a23 = a.fma(b3, a23);
          a = FloatVector.fromArray(F, x, x3 + k);
          a30 = a.fma(b0, a30);
          a31 = a.fma(b1, a31);
          a32 = a.fma(b2, a32);
          a33 = a.fma(b3, a33);
        }
      }
    }
    a00.intoArray(acc, 0);
    a01.intoArray(acc, LANES);
    a02.intoArray(acc, 2 * LANES);
    a03.intoArray(acc, 3 * LANES);
    a10.intoArray(acc, 4 * LANES);
    a11.intoArray(acc, 5 * LANES);
    a12.intoArray(acc, 6 * LANES);
    a13.intoArray(acc, 7 * LANES);
    a20.intoArray(acc, 8 * LANES);
    a21.intoArray(acc, 9 * LANES);
    a22.intoArray(acc, 10 * LANES);
    a23.intoArray(acc, 11 * LANES);
    a30.intoArray(acc, 12 * LANES);
    a31.intoArray(acc, 13 * LANES);
    a32.intoArray(acc, 14 * LANES);
    a33.intoArray(acc, 15 * LANES);
    store(y, y0, x, x0, acc, 0, tail, 0, in, count);
    store(y, y0 + ys, x, x1, acc, 4 * LANES, tail, 0, in, count);
    store(y, y0 + 2 * ys, x, x2, acc, 8 * LANES, tail, 0, in, count);
    store(y, y0 + 3 * ys, x, x3, acc, 12 * LANES, tail, 0, in, count);
  }

  // Y[t][o..o+count) from one X row and the bf16 panel at w[base ..] (decode: one stream).
  private static void tile1x4Bf16(
      final float[] y, final int y0, final float[] x, final int x0, final short[] w, final int base,
      final int in, final float[] tail, final int count, final float[] acc) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = a0, a2 = a0, a3 = a0;
    final int blocked = PanelLayout.blockedCols(in);
    for (int c = 0, wb = base; c < blocked; c += BLOCK_COLS, wb += PANEL_BLOCK) {
      for (int h = 0; h < HALF_BLOCK; h += LANES) {
        final IntVector p0 = pairs(w, wb + 2 * h);
        final IntVector p1 = pairs(w, wb + BLOCK_COLS + 2 * h);
        final IntVector p2 = pairs(w, wb + 2 * BLOCK_COLS + 2 * h);
        final IntVector p3 = pairs(w, wb + 3 * BLOCK_COLS + 2 * h);
        FloatVector a = FloatVector.fromArray(F, x, x0 + c + h);
        a0 = a.fma(first(p0), a0);
        a1 = a.fma(first(p1), a1);
        a2 = a.fma(first(p2), a2);
        a3 = a.fma(first(p3), a3);
        a = FloatVector.fromArray(F, x, x0 + c + HALF_BLOCK + h);
        a0 = a.fma(second(p0), a0);
        a1 = a.fma(second(p1), a1);
        a2 = a.fma(second(p2), a2);
        a3 = a.fma(second(p3), a3);
      }
    }
    a0.intoArray(acc, 0);
    a1.intoArray(acc, LANES);
    a2.intoArray(acc, 2 * LANES);
    a3.intoArray(acc, 3 * LANES);
    store(y, y0, x, x0, acc, 0, tail, 0, in, count);
  }
}
