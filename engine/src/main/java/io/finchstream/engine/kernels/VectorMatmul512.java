package io.finchstream.engine.kernels;

import static io.finchstream.engine.tensor.PanelLayout.PANEL;

import io.finchstream.engine.tensor.Bf16Matrix;
import io.finchstream.engine.tensor.F32Matrix;
import io.finchstream.engine.tensor.Matrix;
import io.finchstream.engine.tensor.PanelLayout;
import io.finchstream.engine.tensor.Q8Matrix;
import jdk.incubator.vector.ByteVector;
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
 * first value by a left shift and its second by a mask. int8 weights are widened by the Vector
 * API's byte-to-float conversion, also in registers; their tiles of several rows are 2 vectors wide
 * and 8 rows deep at 512 bits (4 at the narrower widths), so that each conversion serves 8 rows and
 * a block's chains and the running sums stay in registers. At the narrower widths (AVX2: 16
 * registers) the float32 and bf16 tiles of 4 rows run as two halves of 8 accumulators.
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

  /**
   * int8 quants: LANES bytes per load, at least 8 (the narrowest byte vector), so at 4 lanes one
   * load of 8 rows feeds two accumulators.
   */
  private static final VectorSpecies<Byte> B =
      VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, LANES * Byte.SIZE)));

  private static final boolean SPLIT_BYTES = B.length() > LANES;

  static {
    if (SPLIT_BYTES && B.length() != 2 * LANES) {
      throw new AssertionError("an int8 load feeds one or two vectors");
    }
  }

  /** fp16 scales: LANES per load, widened to ints of the float shape. */
  private static final VectorSpecies<Short> H =
      VectorSpecies.of(short.class, VectorShape.forBitSize(LANES * Short.SIZE));

  private static final VectorSpecies<Integer> I =
      VectorSpecies.of(int.class, VectorShape.forBitSize(F.vectorBitSize()));

  /** 2^112: rescales an fp16 exponent placed in a float32 (bias 15 → 127). */
  private static final float HALF_TO_FLOAT = 0x1p112f;

  /** Output features per tile: 4 vectors. */
  private static final int TILE = 4 * LANES;

  private static final int TILES_PER_PANEL = PANEL / TILE;

  /**
   * Output features of an int8 tile of prefill and batches: 2 vectors, so that 4 rows (8 block
   * chains, 8 running sums) fit the 16 registers of AVX2, and 8 rows those of AVX-512.
   */
  private static final int HALF_TILE = 2 * LANES;

  /** 8-row int8 tiles at 512 bits (32 registers), 4-row tiles at the narrower widths. */
  private static final boolean EIGHT_ROW_TILES = LANES >= 16;

  /**
   * At the narrower widths (16 registers on AVX2) a float32 or bf16 tile of 4 rows runs as two
   * halves of 8 accumulators each: the 16 of a whole tile would spill.
   */
  private static final boolean HALF_FLOAT_TILES = LANES < 16;

  /** Shorts between the two pair loads of a bf16 tile column. */
  private static final int SECOND_LOAD = 2 * LANES;

  private static final ThreadLocal<float[]> TILE_BUFFER =
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
      q8Panels(y, yOff, yStride, x, xOff, xStride, rows, q8, p0, p1);
      return;
    }
    final float[] buffer = TILE_BUFFER.get();
    final int in = w.cols();
    for (int p = p0; p < p1; p++) {
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
          case Q8Matrix q8 -> throw new IllegalStateException("int8 panels run in q8Panels");
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
  private static void store(
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

  // ---- int8 weights: quants like float32 (one byte per row, rows in order), a scale per row and
  // block of 32. A tile is 4·LANES consecutive rows of a panel.

  /** Per thread: the scales of an int8 panel, widened to floats. */
  private static final class Q8Scratch {
    float[] scales = new float[PANEL]; // [block][PANEL], exact

    float[] scales(final int blocks) {
      if (scales.length < blocks * PANEL) {
        scales = new float[blocks * PANEL];
      }
      return scales;
    }
  }

  private static final ThreadLocal<Q8Scratch> Q8_SCRATCH = ThreadLocal.withInitial(Q8Scratch::new);

  // Weight panels [p0, p1) of an int8 matrix: rows of X by 8 (512 bits) and 4 in half tiles, the
  // rest one by one in whole tiles (decode); every tile widens the quants it streams in registers.
  private static void q8Panels(
      final float[] y,
      final int yOff,
      final int yStride,
      final float[] x,
      final int xOff,
      final int xStride,
      final int rows,
      final Q8Matrix w,
      final int p0,
      final int p1) {
    final float[] buffer = TILE_BUFFER.get();
    final int in = w.cols();
    final int blocks = w.blocks();
    final float[] scales = Q8_SCRATCH.get().scales(blocks);
    for (int p = p0; p < p1; p++) {
      final int first = p * PANEL;
      final int valid = Math.min(PANEL, w.rows() - first);
      final int base = PanelLayout.panelBase(p, in);
      final short[] d = w.scales();
      for (int at = PanelLayout.scaleIndex(p, 0, 0, in), r = 0; r < blocks * PANEL; r += LANES) {
        scales(d, at + r).intoArray(scales, r);
      }
      final byte[] q = w.quants();
      int t = 0;
      if (EIGHT_ROW_TILES) {
        for (; t + 8 <= rows; t += 8) {
          for (int r0 = 0; r0 < valid; r0 += HALF_TILE) {
            tile8Q8(x, xOff + t * xStride, xStride, q, scales, base + r0, r0, in, buffer);
            putHalf(buffer, 8, y, yOff + t * yStride + first + r0, yStride, valid - r0);
          }
        }
      }
      for (; t + 4 <= rows; t += 4) {
        for (int r0 = 0; r0 < valid; r0 += HALF_TILE) {
          tile4Q8(x, xOff + t * xStride, xStride, q, scales, base + r0, r0, in, buffer);
          putHalf(buffer, 4, y, yOff + t * yStride + first + r0, yStride, valid - r0);
        }
      }
      for (; t < rows; t++) {
        for (int r0 = 0; r0 < valid; r0 += TILE) {
          tile1Q8(x, xOff + t * xStride, q, scales, base + r0, r0, in, buffer);
          System.arraycopy(
              buffer, 0, y, yOff + t * yStride + first + r0, Math.min(TILE, valid - r0));
        }
      }
    }
  }

  // Copies the outputs of `n` rows of a half tile (row r at buffer[r·HALF_TILE ..]) to Y, the
  // first `valid` of each.
  private static void putHalf(
      final float[] buffer,
      final int n,
      final float[] y,
      final int y0,
      final int ys,
      final int valid) {
    final int count = Math.min(HALF_TILE, valid);
    for (int r = 0; r < n; r++) {
      System.arraycopy(buffer, r * HALF_TILE, y, y0 + r * ys, count);
    }
  }

  // LANES quants q[at ..] as floats, exactly.
  private static FloatVector quants0(final byte[] q, final int at) {
    return (FloatVector) ByteVector.fromArray(B, q, at).convertShape(VectorOperators.B2F, F, 0);
  }

  // The LANES quants after those (q[at + LANES ..]) when one byte load feeds two vectors.
  private static FloatVector quants1(final byte[] q, final int at) {
    return (FloatVector) ByteVector.fromArray(B, q, at).convertShape(VectorOperators.B2F, F, 1);
  }

  // LANES fp16 scales d[at ..] as floats, exactly: the fp16 exponent and mantissa moved into a
  // float32 (a subnormal there when the fp16 is), times 2^112, sign restored.
  private static FloatVector scales(final short[] d, final int at) {
    final IntVector h =
        (IntVector) ShortVector.fromArray(H, d, at).convertShape(VectorOperators.S2I, I, 0);
    final IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
    return h.and(0x7FFF)
        .lanewise(VectorOperators.LSHL, 13)
        .reinterpretAsFloats()
        .mul(HALF_TO_FLOAT)
        .reinterpretAsInts()
        .or(sign)
        .reinterpretAsFloats();
  }

  // 8 rows of X (x0 + r·xs) × half an int8 tile, as tile4Q8 (same chains, same order): each
  // widened quant serves 8 rows. 16 block chains and 16 running sums: more than the 32 registers
  // of AVX-512 with the quants, so the running sums (touched once per block) may live in memory.
  private static void tile8Q8(
      final float[] x,
      final int x0,
      final int xs,
      final byte[] q,
      final float[] d,
      final int qb,
      final int db,
      final int in,
      final float[] out) {
    final FloatVector zero = FloatVector.zero(F);
    FloatVector a00 = zero,
        a01 = zero,
        a10 = zero,
        a11 = zero,
        a20 = zero,
        a21 = zero,
        a30 = zero,
        a31 = zero,
        a40 = zero,
        a41 = zero,
        a50 = zero,
        a51 = zero,
        a60 = zero,
        a61 = zero,
        a70 = zero,
        a71 = zero;
    for (int b0 = 0, di = db; b0 < in; b0 += Q8Matrix.BLOCK, di += PANEL) {
      final int end = Math.min(in, b0 + Q8Matrix.BLOCK);
      FloatVector s00 = zero,
          s01 = zero,
          s10 = zero,
          s11 = zero,
          s20 = zero,
          s21 = zero,
          s30 = zero,
          s31 = zero,
          s40 = zero,
          s41 = zero,
          s50 = zero,
          s51 = zero,
          s60 = zero,
          s61 = zero,
          s70 = zero,
          s71 = zero;
      for (int i = b0, qi = qb + b0 * PANEL; i < end; i++, qi += PANEL) {
        final FloatVector w0 = quants0(q, qi);
        final FloatVector w1 = SPLIT_BYTES ? quants1(q, qi) : quants0(q, qi + LANES);
        FloatVector a = FloatVector.broadcast(F, x[x0 + i]);
        s00 = a.fma(w0, s00);
        s01 = a.fma(w1, s01);
        a = FloatVector.broadcast(F, x[x0 + xs + i]);
        s10 = a.fma(w0, s10);
        s11 = a.fma(w1, s11);
        a = FloatVector.broadcast(F, x[x0 + 2 * xs + i]);
        s20 = a.fma(w0, s20);
        s21 = a.fma(w1, s21);
        a = FloatVector.broadcast(F, x[x0 + 3 * xs + i]);
        s30 = a.fma(w0, s30);
        s31 = a.fma(w1, s31);
        a = FloatVector.broadcast(F, x[x0 + 4 * xs + i]);
        s40 = a.fma(w0, s40);
        s41 = a.fma(w1, s41);
        a = FloatVector.broadcast(F, x[x0 + 5 * xs + i]);
        s50 = a.fma(w0, s50);
        s51 = a.fma(w1, s51);
        a = FloatVector.broadcast(F, x[x0 + 6 * xs + i]);
        s60 = a.fma(w0, s60);
        s61 = a.fma(w1, s61);
        a = FloatVector.broadcast(F, x[x0 + 7 * xs + i]);
        s70 = a.fma(w0, s70);
        s71 = a.fma(w1, s71);
      }
      final FloatVector d0 = FloatVector.fromArray(F, d, di);
      final FloatVector d1 = FloatVector.fromArray(F, d, di + LANES);
      a00 = s00.fma(d0, a00);
      a01 = s01.fma(d1, a01);
      a10 = s10.fma(d0, a10);
      a11 = s11.fma(d1, a11);
      a20 = s20.fma(d0, a20);
      a21 = s21.fma(d1, a21);
      a30 = s30.fma(d0, a30);
      a31 = s31.fma(d1, a31);
      a40 = s40.fma(d0, a40);
      a41 = s41.fma(d1, a41);
      a50 = s50.fma(d0, a50);
      a51 = s51.fma(d1, a51);
      a60 = s60.fma(d0, a60);
      a61 = s61.fma(d1, a61);
      a70 = s70.fma(d0, a70);
      a71 = s71.fma(d1, a71);
    }
    a00.intoArray(out, 0);
    a01.intoArray(out, 0 + LANES);
    a10.intoArray(out, HALF_TILE);
    a11.intoArray(out, HALF_TILE + LANES);
    a20.intoArray(out, 2 * HALF_TILE);
    a21.intoArray(out, 2 * HALF_TILE + LANES);
    a30.intoArray(out, 3 * HALF_TILE);
    a31.intoArray(out, 3 * HALF_TILE + LANES);
    a40.intoArray(out, 4 * HALF_TILE);
    a41.intoArray(out, 4 * HALF_TILE + LANES);
    a50.intoArray(out, 5 * HALF_TILE);
    a51.intoArray(out, 5 * HALF_TILE + LANES);
    a60.intoArray(out, 6 * HALF_TILE);
    a61.intoArray(out, 6 * HALF_TILE + LANES);
    a70.intoArray(out, 7 * HALF_TILE);
    a71.intoArray(out, 7 * HALF_TILE + LANES);
  }

  // 4 rows of X (x0 + r·xs) × half an int8 tile (panel rows qb .. qb + 2·LANES, the panel's scales
  // widened in d[block·PANEL + db ..]) → buffer[r·HALF_TILE ..]. The quants are widened in
  // registers and each serves 4 rows; per block 8 chains over the quants, then acc = fma(s, d,
  // acc):
  // 16 accumulators in registers over the whole row, no block sums stored.
  private static void tile4Q8(
      final float[] x,
      final int x0,
      final int xs,
      final byte[] q,
      final float[] d,
      final int qb,
      final int db,
      final int in,
      final float[] out) {
    FloatVector a00 = FloatVector.zero(F);
    FloatVector a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
    for (int b0 = 0, di = db; b0 < in; b0 += Q8Matrix.BLOCK, di += PANEL) {
      final int end = Math.min(in, b0 + Q8Matrix.BLOCK);
      FloatVector s00 = FloatVector.zero(F);
      FloatVector s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
      for (int i = b0, qi = qb + b0 * PANEL; i < end; i++, qi += PANEL) {
        final FloatVector w0 = quants0(q, qi);
        final FloatVector w1 = SPLIT_BYTES ? quants1(q, qi) : quants0(q, qi + LANES);
        FloatVector a = FloatVector.broadcast(F, x[x0 + i]);
        s00 = a.fma(w0, s00);
        s01 = a.fma(w1, s01);
        a = FloatVector.broadcast(F, x[x0 + xs + i]);
        s10 = a.fma(w0, s10);
        s11 = a.fma(w1, s11);
        a = FloatVector.broadcast(F, x[x0 + 2 * xs + i]);
        s20 = a.fma(w0, s20);
        s21 = a.fma(w1, s21);
        a = FloatVector.broadcast(F, x[x0 + 3 * xs + i]);
        s30 = a.fma(w0, s30);
        s31 = a.fma(w1, s31);
      }
      final FloatVector d0 = FloatVector.fromArray(F, d, di);
      final FloatVector d1 = FloatVector.fromArray(F, d, di + LANES);
      a00 = s00.fma(d0, a00);
      a01 = s01.fma(d1, a01);
      a10 = s10.fma(d0, a10);
      a11 = s11.fma(d1, a11);
      a20 = s20.fma(d0, a20);
      a21 = s21.fma(d1, a21);
      a30 = s30.fma(d0, a30);
      a31 = s31.fma(d1, a31);
    }
    a00.intoArray(out, 0);
    a01.intoArray(out, LANES);
    a10.intoArray(out, HALF_TILE);
    a11.intoArray(out, HALF_TILE + LANES);
    a20.intoArray(out, 2 * HALF_TILE);
    a21.intoArray(out, 2 * HALF_TILE + LANES);
    a30.intoArray(out, 3 * HALF_TILE);
    a31.intoArray(out, 3 * HALF_TILE + LANES);
  }

  // 1 row of X × one int8 tile (panel rows at q[qb + i·PANEL ..][TILE], the panel's scales widened
  // in d[block·PANEL + db ..]) → buffer[0 ..]: per block the four chains over the quants, then
  // acc = fma(s, d, acc).
  private static void tile1Q8(
      final float[] x,
      final int x0,
      final byte[] q,
      final float[] d,
      final int qb,
      final int db,
      final int in,
      final float[] out) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = a0, a2 = a0, a3 = a0;
    for (int b0 = 0, di = db; b0 < in; b0 += Q8Matrix.BLOCK, di += PANEL) {
      final int end = Math.min(in, b0 + Q8Matrix.BLOCK);
      FloatVector s0 = FloatVector.zero(F);
      FloatVector s1 = s0, s2 = s0, s3 = s0;
      for (int i = b0, qi = qb + b0 * PANEL; i < end; i++, qi += PANEL) {
        final FloatVector a = FloatVector.broadcast(F, x[x0 + i]);
        if (SPLIT_BYTES) {
          s0 = a.fma(quants0(q, qi), s0);
          s1 = a.fma(quants1(q, qi), s1);
          s2 = a.fma(quants0(q, qi + 2 * LANES), s2);
          s3 = a.fma(quants1(q, qi + 2 * LANES), s3);
        } else {
          s0 = a.fma(quants0(q, qi), s0);
          s1 = a.fma(quants0(q, qi + LANES), s1);
          s2 = a.fma(quants0(q, qi + 2 * LANES), s2);
          s3 = a.fma(quants0(q, qi + 3 * LANES), s3);
        }
      }
      a0 = s0.fma(FloatVector.fromArray(F, d, di), a0);
      a1 = s1.fma(FloatVector.fromArray(F, d, di + LANES), a1);
      a2 = s2.fma(FloatVector.fromArray(F, d, di + 2 * LANES), a2);
      a3 = s3.fma(FloatVector.fromArray(F, d, di + 3 * LANES), a3);
    }
    store(a0, a1, a2, a3, out, 0);
  }
}
