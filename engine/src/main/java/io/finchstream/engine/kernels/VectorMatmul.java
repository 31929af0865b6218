package io.finchstream.engine.kernels;

import static io.finchstream.engine.tensor.PanelLayout.PANEL;

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
 * {@link PanelLayout}, where each vector lane owns one output feature.
 *
 * <p>Threads split the output features by panels of 64. A tile is 4·LANES output features (4
 * accumulator vectors) of 4 rows of X (16 FMA chains) or of 1 row (decode: bandwidth-bound); for
 * each input column i the tile loads its weights (one sequential stream per panel), broadcasts
 * {@code x[t][i]} and FMAs. bf16 weights are widened in registers: a pair of rows loaded as one
 * 32-bit lane gives its first value by a left shift and its second by a mask.
 *
 * <p>Batch invariance, and bit-identity with {@link ScalarKernels}: every {@code Y[t][o]} is the
 * sequential chain {@code acc = fma(x[t][i], W[o][i], acc)} for i = 0 .. in−1 from {@code acc = 0},
 * whatever the tile, the thread or the precision of W. No horizontal sums.
 */
final class VectorMatmul {

  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  static final int LANES = F.length();

  /**
   * The tiles below are written for 8 or 16 lanes (AVX2, AVX-512); other widths use the scalar
   * kernel.
   */
  static final boolean SUPPORTED = LANES == 8 || LANES == 16;

  private static final VectorSpecies<Short> S =
      VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize()));
  private static final int HI_MASK = 0xFFFF0000;

  /** Output features per tile: 4 vectors. */
  private static final int TILE = 4 * LANES;

  private static final int TILES_PER_PANEL = PANEL / TILE;

  /**
   * Where the 4 accumulators of a tile row sit among its output features. bf16: the first load of a
   * column holds pairs 0 .. LANES−1, the second pairs LANES .. 2·LANES−1; pair p is rows (32·(p /
   * 16) + p % 16, that + 16); float32 loads use the same mapping.
   */
  private static final int OFF0 = 0;

  private static final int OFF1 = PanelLayout.HALF_GROUP;
  private static final int OFF2 =
      PanelLayout.GROUP * (LANES / PanelLayout.HALF_GROUP) + LANES % PanelLayout.HALF_GROUP;
  private static final int OFF3 = OFF2 + PanelLayout.HALF_GROUP;

  /** Shorts between the two pair loads of a tile column. */
  private static final int SECOND_LOAD = 2 * LANES;

  private static final ThreadLocal<float[]> TILE_BUFFER =
      ThreadLocal.withInitial(() -> new float[4 * TILE]);

  private VectorMatmul() {}

  static void matmul(
      final Parallel parallel,
      final float[] y,
      final int yOff,
      final int yStride,
      final float[] x,
      final int xOff,
      final int xStride,
      final int rows,
      final Matrix w) {
    parallel.forRange(
        PanelLayout.panels(w.rows()),
        ScalarKernels.grain(rows, w.cols(), PANEL),
        (p0, p1) -> panels(y, yOff, yStride, x, xOff, xStride, rows, w, p0, p1));
  }

  // Weight panels [p0, p1) for all rows of X.
  private static void panels(
      final float[] y,
      final int yOff,
      final int yStride,
      final float[] x,
      final int xOff,
      final int xStride,
      final int rows,
      final Matrix w,
      final int p0,
      final int p1) {
    final float[] buffer = TILE_BUFFER.get();
    final int in = w.cols();
    for (int p = p0; p < p1; p++) {
      for (int tile = 0; tile < TILES_PER_PANEL; tile++) {
        final int o = p * PANEL + tile * TILE;
        final int valid = Math.min(TILE, w.rows() - o);
        if (valid <= 0) {
          break;
        }
        final int wb = PanelLayout.panelBase(p, in) + tile * TILE;
        int t = 0;
        switch (w) {
          case F32Matrix f32 -> {
            for (; t + 4 <= rows; t += 4) {
              tile4F32(x, xOff + t * xStride, xStride, f32.data(), wb, in, buffer);
              put(buffer, 4, y, yOff + t * yStride + o, yStride, valid);
            }
            for (; t < rows; t++) {
              tile1F32(x, xOff + t * xStride, f32.data(), wb, in, buffer);
              put(buffer, 1, y, yOff + t * yStride + o, yStride, valid);
            }
          }
          case Bf16Matrix bf16 -> {
            for (; t + 4 <= rows; t += 4) {
              tile4Bf16(x, xOff + t * xStride, xStride, bf16.data(), wb, in, buffer);
              put(buffer, 4, y, yOff + t * yStride + o, yStride, valid);
            }
            for (; t < rows; t++) {
              tile1Bf16(x, xOff + t * xStride, bf16.data(), wb, in, buffer);
              put(buffer, 1, y, yOff + t * yStride + o, yStride, valid);
            }
          }
        }
      }
    }
  }

  // Copies the first `valid` outputs of each of `n` tile rows from the buffer to Y.
  private static void put(
      final float[] buffer,
      final int n,
      final float[] y,
      final int y0,
      final int ys,
      final int valid) {
    for (int r = 0; r < n; r++) {
      System.arraycopy(buffer, r * TILE, y, y0 + r * ys, valid);
    }
  }

  // ---- float32 weights: column i of the tile is w[wb + i·PANEL ..][TILE]
  // -------------------------

  // One row's four accumulators (one tile) → out[base ..].
  private static void store(
      final FloatVector a0,
      final FloatVector a1,
      final FloatVector a2,
      final FloatVector a3,
      final float[] out,
      final int base) {
    a0.intoArray(out, base + OFF0);
    a1.intoArray(out, base + OFF1);
    a2.intoArray(out, base + OFF2);
    a3.intoArray(out, base + OFF3);
  }

  // 4 rows of X (x0 + r·xs) × one tile → buffer[r·TILE ..].
  private static void tile4F32(
      final float[] x,
      final int x0,
      final int xs,
      final float[] w,
      final int wb,
      final int in,
      final float[] out) {
    FloatVector a00 = FloatVector.zero(F);
    FloatVector a01 = a00, a02 = a00, a03 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    for (int i = 0, wi = wb; i < in; i++, wi += PANEL) {
      final FloatVector b0 = FloatVector.fromArray(F, w, wi + OFF0);
      final FloatVector b1 = FloatVector.fromArray(F, w, wi + OFF1);
      final FloatVector b2 = FloatVector.fromArray(F, w, wi + OFF2);
      final FloatVector b3 = FloatVector.fromArray(F, w, wi + OFF3);
      FloatVector a = FloatVector.broadcast(F, x[x0 + i]);
      a00 = a.fma(b0, a00);
      a01 = a.fma(b1, a01);
      a02 = a.fma(b2, a02);
      a03 = a.fma(b3, a03);
      a = FloatVector.broadcast(F, x[x0 + xs + i]);
      a10 = a.fma(b0, a10);
      a11 = a.fma(b1, a11);
      a12 = a.fma(b2, a12);
      a13 = a.fma(b3, a13);
      a = FloatVector.broadcast(F, x[x0 + 2 * xs + i]);
      a20 = a.fma(b0, a20);
      a21 = a.fma(b1, a21);
      a22 = a.fma(b2, a22);
      a23 = a.fma(b3, a23);
      a = FloatVector.broadcast(F, x[x0 + 3 * xs + i]);
      a30 = a.fma(b0, a30);
      a31 = a.fma(b1, a31);
      a32 = a.fma(b2, a32);
      a33 = a.fma(b3, a33);
    }
    store(a00, a01, a02, a03, out, 0);
    store(a10, a11, a12, a13, out, TILE);
    store(a20, a21, a22, a23, out, 2 * TILE);
    store(a30, a31, a32, a33, out, 3 * TILE);
  }

  // 1 row of X × one tile → buffer[0 ..] (decode).
  private static void tile1F32(
      final float[] x,
      final int x0,
      final float[] w,
      final int wb,
      final int in,
      final float[] out) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = a0, a2 = a0, a3 = a0;
    for (int i = 0, wi = wb; i < in; i++, wi += PANEL) {
      final FloatVector a = FloatVector.broadcast(F, x[x0 + i]);
      a0 = a.fma(FloatVector.fromArray(F, w, wi + OFF0), a0);
      a1 = a.fma(FloatVector.fromArray(F, w, wi + OFF1), a1);
      a2 = a.fma(FloatVector.fromArray(F, w, wi + OFF2), a2);
      a3 = a.fma(FloatVector.fromArray(F, w, wi + OFF3), a3);
    }
    store(a0, a1, a2, a3, out, 0);
  }

  // ---- bf16 weights: column i of the tile is two vectors of row pairs at w[wb + i·PANEL ..]
  // -------

  private static IntVector pairs(final short[] w, final int at) {
    return ShortVector.fromArray(S, w, at).reinterpretAsInts();
  }

  private static FloatVector first(final IntVector pairs) {
    return pairs.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
  }

  private static FloatVector second(final IntVector pairs) {
    return pairs.and(HI_MASK).reinterpretAsFloats();
  }

  // 4 rows of X (x0 + r·xs) × one bf16 tile → buffer[r·TILE ..].
  private static void tile4Bf16(
      final float[] x,
      final int x0,
      final int xs,
      final short[] w,
      final int wb,
      final int in,
      final float[] out) {
    FloatVector a00 = FloatVector.zero(F);
    FloatVector a01 = a00, a02 = a00, a03 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    for (int i = 0, wi = wb; i < in; i++, wi += PANEL) {
      final IntVector pa = pairs(w, wi);
      final IntVector pb = pairs(w, wi + SECOND_LOAD);
      final FloatVector b0 = first(pa);
      final FloatVector b1 = second(pa);
      final FloatVector b2 = first(pb);
      final FloatVector b3 = second(pb);
      FloatVector a = FloatVector.broadcast(F, x[x0 + i]);
      a00 = a.fma(b0, a00);
      a01 = a.fma(b1, a01);
      a02 = a.fma(b2, a02);
      a03 = a.fma(b3, a03);
      a = FloatVector.broadcast(F, x[x0 + xs + i]);
      a10 = a.fma(b0, a10);
      a11 = a.fma(b1, a11);
      a12 = a.fma(b2, a12);
      a13 = a.fma(b3, a13);
      a = FloatVector.broadcast(F, x[x0 + 2 * xs + i]);
      a20 = a.fma(b0, a20);
      a21 = a.fma(b1, a21);
      a22 = a.fma(b2, a22);
      a23 = a.fma(b3, a23);
      a = FloatVector.broadcast(F, x[x0 + 3 * xs + i]);
      a30 = a.fma(b0, a30);
      a31 = a.fma(b1, a31);
      a32 = a.fma(b2, a32);
      a33 = a.fma(b3, a33);
    }
    store(a00, a01, a02, a03, out, 0);
    store(a10, a11, a12, a13, out, TILE);
    store(a20, a21, a22, a23, out, 2 * TILE);
    store(a30, a31, a32, a33, out, 3 * TILE);
  }

  // 1 row of X × one bf16 tile → buffer[0 ..] (decode: one sequential stream of weights).
  private static void tile1Bf16(
      final float[] x,
      final int x0,
      final short[] w,
      final int wb,
      final int in,
      final float[] out) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = a0, a2 = a0, a3 = a0;
    for (int i = 0, wi = wb; i < in; i++, wi += PANEL) {
      final IntVector pa = pairs(w, wi);
      final IntVector pb = pairs(w, wi + SECOND_LOAD);
      final FloatVector a = FloatVector.broadcast(F, x[x0 + i]);
      a0 = a.fma(first(pa), a0);
      a1 = a.fma(second(pa), a1);
      a2 = a.fma(first(pb), a2);
      a3 = a.fma(second(pb), a3);
    }
    store(a0, a1, a2, a3, out, 0);
  }

  /**
   * The sum of the lanes of {@code v} by the fixed pairwise tree of {@link #sumLanes(float[],
   * int)}, through {@code lanes} (a buffer of at least LANES floats). For the norms' reductions,
   * not for the matmul, which needs no lane sums.
   */
  static float sumLanes(final FloatVector v, final float[] lanes) {
    v.intoArray(lanes, 0);
    return sumLanes(lanes, 0);
  }

  /**
   * The sum of LANES stored lanes {@code lanes[off ..]} by a fixed pairwise tree (lane i += lane i
   * + w for w = LANES/2 .. 1), never the API's {@code reduceLanes}, whose order is unspecified and
   * may differ between the interpreter and compiled code. Overwrites the lanes.
   */
  static float sumLanes(final float[] lanes, final int off) {
    for (int width = LANES / 2; width > 0; width >>= 1) {
      for (int i = 0; i < width; i++) {
        lanes[off + i] += lanes[off + i + width];
      }
    }
    return lanes[off];
  }
}
