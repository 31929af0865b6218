package io.finchstream.engine.kernels;

import static io.finchstream.engine.tensor.PanelLayout.PANEL;

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
 * The int8 panels of {@link VectorMatmul512}, at 512 bits: ggml Q8_0 blocks (32 int8 quants of one
 * row and one fp16 scale) in the {@link PanelLayout}, the quants like float32 weights (one byte per
 * row, rows in order), the scales per row and block. Every {@code Y[t][o]} is, per block, the chain
 * {@code s = fma(x[t][i], q[o][i], s)} over the block's columns from 0, added in block order as
 * {@code acc = fma(s, d[o][block], acc)}: the same bits at every width and in {@link
 * ScalarKernels}, whatever the tile.
 *
 * <p>Every tile widens the quants it streams in registers (the Vector API's byte-to-float
 * conversion). Decode streams two panels at once (two sequential streams, 8 independent chains);
 * prefill and batches run tiles of 2 vectors, 8 rows deep at 512 bits (each conversion serves 8
 * rows; a block's chains and the running sums stay in registers), 4 at the narrower widths (the 16
 * registers of AVX2).
 */
final class VectorQ8Matmul512 {

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
  private static final int LANES = F.length();

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

  /** Output features of a decode tile: 4 vectors. */
  private static final int TILE = 4 * LANES;

  /**
   * Output features of a tile of prefill and batches: 2 vectors, so that 4 rows (8 block chains, 8
   * running sums) fit the 16 registers of AVX2, and 8 rows those of AVX-512.
   */
  private static final int HALF_TILE = 2 * LANES;

  /** 8-row tiles at 512 bits (32 registers), 4-row tiles at the narrower widths. */
  private static final boolean EIGHT_ROW_TILES = LANES >= 16;

  private VectorQ8Matmul512() {}

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
  static void panels(
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
    final float[] buffer = VectorMatmul512.TILE_BUFFER.get();
    final int in = w.cols();
    final int blocks = w.blocks();
    final float[] scales = Q8_SCRATCH.get().scales(blocks);
    int pStart = p0;
    if (rows == 1 && TILE == PANEL) {
      for (; pStart + 2 <= p1 && (pStart + 2) * PANEL <= w.rows(); pStart += 2) {
        tile1Q8Pair(
            x,
            xOff,
            w.quants(),
            w.scales(),
            PanelLayout.panelBase(pStart, in),
            PanelLayout.panelBase(pStart + 1, in),
            PanelLayout.scaleIndex(pStart, 0, 0, in),
            PanelLayout.scaleIndex(pStart + 1, 0, 0, in),
            in,
            y,
            yOff + pStart * PANEL);
      }
    }
    for (int p = pStart; p < p1; p++) {
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

  // Decode over two whole panels at once (two streams of quants): 1 row of X → y[y0 ..][2·PANEL];
  // the fp16 scales widened in registers.
  private static void tile1Q8Pair(
      final float[] x,
      final int x0,
      final byte[] q,
      final short[] ds,
      final int qa,
      final int qb,
      final int da,
      final int db,
      final int in,
      final float[] y,
      final int y0) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
    for (int b0 = 0, di = 0; b0 < in; b0 += Q8Matrix.BLOCK, di += PANEL) {
      final int end = Math.min(in, b0 + Q8Matrix.BLOCK);
      FloatVector s0 = FloatVector.zero(F);
      FloatVector s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0;
      for (int i = b0, qi = b0 * PANEL; i < end; i++, qi += PANEL) {
        final FloatVector a = FloatVector.broadcast(F, x[x0 + i]);
        s0 = a.fma(quants0(q, qa + qi), s0);
        s1 = a.fma(quants0(q, qa + qi + LANES), s1);
        s2 = a.fma(quants0(q, qa + qi + 2 * LANES), s2);
        s3 = a.fma(quants0(q, qa + qi + 3 * LANES), s3);
        t0 = a.fma(quants0(q, qb + qi), t0);
        t1 = a.fma(quants0(q, qb + qi + LANES), t1);
        t2 = a.fma(quants0(q, qb + qi + 2 * LANES), t2);
        t3 = a.fma(quants0(q, qb + qi + 3 * LANES), t3);
      }
      a0 = s0.fma(scales(ds, da + di), a0);
      a1 = s1.fma(scales(ds, da + di + LANES), a1);
      a2 = s2.fma(scales(ds, da + di + 2 * LANES), a2);
      a3 = s3.fma(scales(ds, da + di + 3 * LANES), a3);
      c0 = t0.fma(scales(ds, db + di), c0);
      c1 = t1.fma(scales(ds, db + di + LANES), c1);
      c2 = t2.fma(scales(ds, db + di + 2 * LANES), c2);
      c3 = t3.fma(scales(ds, db + di + 3 * LANES), c3);
    }
    VectorMatmul512.store(a0, a1, a2, a3, y, y0);
    VectorMatmul512.store(c0, c1, c2, c3, y, y0 + PANEL);
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
    VectorMatmul512.store(a0, a1, a2, a3, out, 0);
  }
}
