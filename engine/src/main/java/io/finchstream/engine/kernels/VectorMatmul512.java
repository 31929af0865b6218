package io.finchstream.engine.kernels;

import static io.finchstream.engine.tensor.PanelLayout.PANEL;

import io.finchstream.engine.tensor.Bf16Matrix;
import io.finchstream.engine.tensor.F32Matrix;
import io.finchstream.engine.tensor.Matrix;
import io.finchstream.engine.tensor.PanelLayout;
import io.finchstream.engine.tensor.Q8Matrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register-tiled, batch-invariant {@code Y[rows × out] = X[rows × in] · Wᵀ} over weights in the
 * {@link PanelLayout}, at 512 bits, where each vector lane owns one output feature.
 *
 * <p>Threads split the output features by panels of 64. A tile is 4 accumulator vectors (4·LANES
 * output features) of 4 rows of X or of 1 row (decode: bandwidth-bound); for each input column i
 * the tile loads its weights (one sequential stream per panel), broadcasts {@code x[t][i]} and
 * FMAs. bf16 weights are widened in registers: a pair of rows loaded as one 32-bit lane gives its
 * first value by a left shift and its second by a mask; bf16 decode streams two panels at once.
 * int8 weights run in {@link VectorQ8Matmul512}. At the narrower widths (AVX2: 16 registers) the
 * float32 and bf16 tiles of 4 rows run as two halves of 8 accumulators.
 *
 * <p>Batch invariance, and bit-identity with {@link ScalarKernels} at every width: every {@code
 * Y[t][o]} is the sequential chain {@code acc = fma(x[t][i], W[o][i], acc)} for i = 0 .. in−1 from
 * {@code acc = 0}, whatever the tile, the thread, the width or the precision of W; for int8 weights
 * each block of 32 columns is such a chain over the quants, {@code s = fma(x[t][i], q[o][i], s)},
 * and {@code acc = fma(s, d[o][block], acc)} adds it in block order. No horizontal sums.
 *
 * <p>The build generates the 256- and 128-bit matmuls from this file by replacing the number of its
 * width, which it names only through that number (see {@link VectorKernels512}).
 */
final class VectorMatmul512 {

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
  private static final int LANES = F.length();

  /** bf16 row pairs: one 32-bit lane per pair. */
  private static final VectorSpecies<Short> S =
      VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize()));

  private static final int HI_MASK = 0xFFFF0000;

  /** Output features per tile: 4 vectors. */
  private static final int TILE = 4 * LANES;

  private static final int TILES_PER_PANEL = PANEL / TILE;

  /**
   * At the narrower widths (16 registers on AVX2) a float32 or bf16 tile of 4 rows runs as two
   * halves of 8 accumulators each: the 16 of a whole tile would spill.
   */
  private static final boolean HALF_FLOAT_TILES = LANES < 16;

  /** Shorts between the two pair loads of a bf16 tile column. */
  private static final int SECOND_LOAD = 2 * LANES;

  /** Per thread: the outputs of one tile (also of {@link VectorQ8Matmul512}). */
  static final ThreadLocal<float[]> TILE_BUFFER =
      ThreadLocal.withInitial(() -> new float[4 * TILE]);

  private VectorMatmul512() {}

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

  /**
   * The panel row of accumulator {@code j} (0..3) of tile {@code tile}: its LANES output features
   * are that row and the next LANES−1. The bf16 pair layout decides it (pair p of a group of 32
   * rows holds rows p and p + 16, and a tile's two loads take 2·LANES consecutive pairs); float32
   * and int8 tiles use the same rows.
   */
  static int accumulatorRow(final int tile, final int j) {
    final int pair = 2 * LANES * tile + (j >= 2 ? LANES : 0);
    return PanelLayout.GROUP * (pair / PanelLayout.HALF_GROUP)
        + pair % PanelLayout.HALF_GROUP
        + (j % 2 == 1 ? PanelLayout.HALF_GROUP : 0);
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
    if (w instanceof Q8Matrix q8) {
      VectorQ8Matmul512.panels(y, yOff, yStride, x, xOff, xStride, rows, q8, p0, p1);
      return;
    }
    final float[] buffer = TILE_BUFFER.get();
    final int in = w.cols();
    int pStart = p0;
    if (rows == 1 && TILES_PER_PANEL == 1 && w instanceof Bf16Matrix bf16) {
      for (; pStart + 2 <= p1 && (pStart + 2) * PANEL <= w.rows(); pStart += 2) {
        tile1Bf16Pair(
            x,
            xOff,
            bf16.data(),
            PanelLayout.panelBase(pStart, in),
            PanelLayout.panelBase(pStart + 1, in),
            in,
            buffer);
        // the two panels' outputs are consecutive: as two "rows" of Y, PANEL apart
        put(buffer, 2, y, yOff + pStart * PANEL, PANEL, 2 * PANEL, 0);
      }
    }
    for (int p = pStart; p < p1; p++) {
      for (int tile = 0; tile < TILES_PER_PANEL; tile++) {
        final int first = p * PANEL;
        final int r0 = accumulatorRow(tile, 0);
        final int r1 = accumulatorRow(tile, 1);
        final int r2 = accumulatorRow(tile, 2);
        final int r3 = accumulatorRow(tile, 3);
        if (first + Math.min(r0, r2) >= w.rows()) {
          continue; // padding rows only
        }
        final int base = PanelLayout.panelBase(p, in);
        int t = 0;
        switch (w) {
          case F32Matrix f32 -> {
            for (; t + 4 <= rows; t += 4) {
              if (HALF_FLOAT_TILES) {
                half4F32(x, xOff + t * xStride, xStride, f32.data(), base, r0, r1, in, buffer, 0);
                half4F32(x, xOff + t * xStride, xStride, f32.data(), base, r2, r3, in, buffer, 2);
              } else {
                tile4F32(
                    x, xOff + t * xStride, xStride, f32.data(), base, r0, r1, r2, r3, in, buffer);
              }
              put(buffer, 4, y, yOff + t * yStride + first, yStride, w.rows() - first, tile);
            }
            for (; t < rows; t++) {
              tile1F32(x, xOff + t * xStride, f32.data(), base, r0, r1, r2, r3, in, buffer);
              put(buffer, 1, y, yOff + t * yStride + first, yStride, w.rows() - first, tile);
            }
          }
          case Bf16Matrix bf16 -> {
            final int wb = base + tile * 2 * SECOND_LOAD;
            for (; t + 4 <= rows; t += 4) {
              if (HALF_FLOAT_TILES) {
                half4Bf16(x, xOff + t * xStride, xStride, bf16.data(), wb, in, buffer, 0);
                half4Bf16(
                    x, xOff + t * xStride, xStride, bf16.data(), wb + SECOND_LOAD, in, buffer, 2);
              } else {
                tile4Bf16(x, xOff + t * xStride, xStride, bf16.data(), wb, in, buffer);
              }
              put(buffer, 4, y, yOff + t * yStride + first, yStride, w.rows() - first, tile);
            }
            for (; t < rows; t++) {
              tile1Bf16(x, xOff + t * xStride, bf16.data(), wb, in, buffer);
              put(buffer, 1, y, yOff + t * yStride + first, yStride, w.rows() - first, tile);
            }
          }
          case Q8Matrix q8 ->
              throw new IllegalStateException("int8 panels run in VectorQ8Matmul512");
        }
      }
    }
  }

  // Copies the outputs of `n` tile rows (accumulator j of row r at buffer[r·TILE + j·LANES]) to
  // their rows of Y, skipping the panel's padding rows (at or after `valid`).
  private static void put(
      final float[] buffer,
      final int n,
      final float[] y,
      final int y0,
      final int ys,
      final int valid,
      final int tile) {
    for (int j = 0; j < 4; j++) {
      final int row = accumulatorRow(tile, j);
      final int count = Math.min(LANES, valid - row);
      if (count <= 0) {
        continue;
      }
      for (int r = 0; r < n; r++) {
        System.arraycopy(buffer, r * TILE + j * LANES, y, y0 + r * ys + row, count);
      }
    }
  }

  // One row's four accumulators → out[at ..].
  static void store(
      final FloatVector a0,
      final FloatVector a1,
      final FloatVector a2,
      final FloatVector a3,
      final float[] out,
      final int at) {
    a0.intoArray(out, at);
    a1.intoArray(out, at + LANES);
    a2.intoArray(out, at + 2 * LANES);
    a3.intoArray(out, at + 3 * LANES);
  }

  // ---- float32 weights: column i of a panel is w[base + i·PANEL ..][PANEL], rows in order

  // 4 rows of X (x0 + r·xs) × one tile → buffer[r·TILE ..].
  private static void tile4F32(
      final float[] x,
      final int x0,
      final int xs,
      final float[] w,
      final int base,
      final int r0,
      final int r1,
      final int r2,
      final int r3,
      final int in,
      final float[] out) {
    FloatVector a00 = FloatVector.zero(F);
    FloatVector a01 = a00, a02 = a00, a03 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    for (int i = 0, wi = base; i < in; i++, wi += PANEL) {
      final FloatVector b0 = FloatVector.fromArray(F, w, wi + r0);
      final FloatVector b1 = FloatVector.fromArray(F, w, wi + r1);
      final FloatVector b2 = FloatVector.fromArray(F, w, wi + r2);
      final FloatVector b3 = FloatVector.fromArray(F, w, wi + r3);
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

  // 4 rows of X × accumulators j and j + 1 of a tile (panel rows ra, rb) → buffer[r·TILE + j·LANES
  // ..]: half of tile4F32, whose 16 accumulators do not fit the 16 registers of AVX2.
  private static void half4F32(
      final float[] x,
      final int x0,
      final int xs,
      final float[] w,
      final int base,
      final int ra,
      final int rb,
      final int in,
      final float[] out,
      final int j) {
    FloatVector a00 = FloatVector.zero(F);
    FloatVector a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
    for (int i = 0, wi = base; i < in; i++, wi += PANEL) {
      final FloatVector b0 = FloatVector.fromArray(F, w, wi + ra);
      final FloatVector b1 = FloatVector.fromArray(F, w, wi + rb);
      FloatVector a = FloatVector.broadcast(F, x[x0 + i]);
      a00 = a.fma(b0, a00);
      a01 = a.fma(b1, a01);
      a = FloatVector.broadcast(F, x[x0 + xs + i]);
      a10 = a.fma(b0, a10);
      a11 = a.fma(b1, a11);
      a = FloatVector.broadcast(F, x[x0 + 2 * xs + i]);
      a20 = a.fma(b0, a20);
      a21 = a.fma(b1, a21);
      a = FloatVector.broadcast(F, x[x0 + 3 * xs + i]);
      a30 = a.fma(b0, a30);
      a31 = a.fma(b1, a31);
    }
    storeHalf(a00, a01, a10, a11, a20, a21, a30, a31, out, j * LANES);
  }

  // The 4 rows' accumulators j, j + 1 → out[r·TILE + at ..].
  private static void storeHalf(
      final FloatVector a00,
      final FloatVector a01,
      final FloatVector a10,
      final FloatVector a11,
      final FloatVector a20,
      final FloatVector a21,
      final FloatVector a30,
      final FloatVector a31,
      final float[] out,
      final int at) {
    a00.intoArray(out, at);
    a01.intoArray(out, at + LANES);
    a10.intoArray(out, TILE + at);
    a11.intoArray(out, TILE + at + LANES);
    a20.intoArray(out, 2 * TILE + at);
    a21.intoArray(out, 2 * TILE + at + LANES);
    a30.intoArray(out, 3 * TILE + at);
    a31.intoArray(out, 3 * TILE + at + LANES);
  }

  // 1 row of X × one tile → buffer[0 ..] (decode).
  private static void tile1F32(
      final float[] x,
      final int x0,
      final float[] w,
      final int base,
      final int r0,
      final int r1,
      final int r2,
      final int r3,
      final int in,
      final float[] out) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = a0, a2 = a0, a3 = a0;
    for (int i = 0, wi = base; i < in; i++, wi += PANEL) {
      final FloatVector a = FloatVector.broadcast(F, x[x0 + i]);
      a0 = a.fma(FloatVector.fromArray(F, w, wi + r0), a0);
      a1 = a.fma(FloatVector.fromArray(F, w, wi + r1), a1);
      a2 = a.fma(FloatVector.fromArray(F, w, wi + r2), a2);
      a3 = a.fma(FloatVector.fromArray(F, w, wi + r3), a3);
    }
    store(a0, a1, a2, a3, out, 0);
  }

  // ---- bf16 weights: column i of the tile is two vectors of row pairs at w[wb + i·PANEL ..]

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

  // 4 rows of X × the accumulators j, j + 1 of a bf16 tile, one pair load per column at
  // w[wp + i·PANEL ..] → buffer[r·TILE + j·LANES ..]: half of tile4Bf16 (AVX2's 16 registers).
  private static void half4Bf16(
      final float[] x,
      final int x0,
      final int xs,
      final short[] w,
      final int wp,
      final int in,
      final float[] out,
      final int j) {
    FloatVector a00 = FloatVector.zero(F);
    FloatVector a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
    for (int i = 0, wi = wp; i < in; i++, wi += PANEL) {
      final IntVector pa = pairs(w, wi);
      final FloatVector b0 = first(pa);
      final FloatVector b1 = second(pa);
      FloatVector a = FloatVector.broadcast(F, x[x0 + i]);
      a00 = a.fma(b0, a00);
      a01 = a.fma(b1, a01);
      a = FloatVector.broadcast(F, x[x0 + xs + i]);
      a10 = a.fma(b0, a10);
      a11 = a.fma(b1, a11);
      a = FloatVector.broadcast(F, x[x0 + 2 * xs + i]);
      a20 = a.fma(b0, a20);
      a21 = a.fma(b1, a21);
      a = FloatVector.broadcast(F, x[x0 + 3 * xs + i]);
      a30 = a.fma(b0, a30);
      a31 = a.fma(b1, a31);
    }
    storeHalf(a00, a01, a10, a11, a20, a21, a30, a31, out, j * LANES);
  }

  // Decode over two whole panels of one tile each (two streams of weights) → buffer[0 ..] and
  // buffer[TILE ..].
  private static void tile1Bf16Pair(
      final float[] x,
      final int x0,
      final short[] w,
      final int wa,
      final int wb,
      final int in,
      final float[] out) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
    for (int i = 0, wi = 0; i < in; i++, wi += PANEL) {
      final IntVector pa = pairs(w, wa + wi);
      final IntVector pb = pairs(w, wa + wi + SECOND_LOAD);
      final IntVector qa = pairs(w, wb + wi);
      final IntVector qb = pairs(w, wb + wi + SECOND_LOAD);
      final FloatVector a = FloatVector.broadcast(F, x[x0 + i]);
      a0 = a.fma(first(pa), a0);
      a1 = a.fma(second(pa), a1);
      a2 = a.fma(first(pb), a2);
      a3 = a.fma(second(pb), a3);
      c0 = a.fma(first(qa), c0);
      c1 = a.fma(second(qa), c1);
      c2 = a.fma(first(qb), c2);
      c3 = a.fma(second(qb), c3);
    }
    store(a0, a1, a2, a3, out, 0);
    store(c0, c1, c2, c3, out, TILE);
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
}
