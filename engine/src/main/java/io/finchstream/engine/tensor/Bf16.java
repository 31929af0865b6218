package io.finchstream.engine.tensor;

/**
 * bfloat16 conversions. A bf16 value is the high 16 bits of a float32 (same sign and exponent, 7
 * mantissa bits), so widening is exact: put the 16 bits in the high half (finch-math §2.8).
 */
public final class Bf16 {

  private Bf16() {}

  /** The float32 of a bf16 bit pattern (exact). */
  public static float toFloat(final short bits) {
    return Float.intBitsToFloat(bits << 16);
  }

  /** The nearest bf16 of a float32 (round to nearest, ties to even; NaN stays NaN). */
  public static short fromFloat(final float value) {
    final int bits = Float.floatToRawIntBits(value);
    if (Float.isNaN(value)) {
      return (short) ((bits >>> 16) | 0x0040);
    }
    final int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + roundingBias) >>> 16);
  }

  /** Whether a float32 is exactly representable in bf16 (its low 16 bits are zero). */
  public static boolean isExact(final float value) {
    return (Float.floatToRawIntBits(value) & 0xFFFF) == 0;
  }

  /** dst[dstOff + i] = toFloat(src[srcOff + i]) for i in [0, n). */
  public static void widen(
      final short[] src, final int srcOff, final float[] dst, final int dstOff, final int n) {
    for (int i = 0; i < n; i++) {
      dst[dstOff + i] = Float.intBitsToFloat(src[srcOff + i] << 16);
    }
  }

  /** dst[dstOff + i] = fromFloat(src[srcOff + i]) for i in [0, n). */
  public static void narrow(
      final float[] src, final int srcOff, final short[] dst, final int dstOff, final int n) {
    for (int i = 0; i < n; i++) {
      dst[dstOff + i] = fromFloat(src[srcOff + i]);
    }
  }
}
