package io.finchstream.engine.io.ggml;

import java.nio.ByteBuffer;

/**
 * ggml {@code block_q8_0}: 32 values in 34 bytes: fp16 scale {@code d} and 32 int8 quants; {@code
 * y[j] = q[j]·d} (ggml {@code dequantize_row_q8_0}).
 */
final class Q8_0Block {

  private Q8_0Block() {}

  /**
   * Decodes the block starting at absolute byte {@code at} of {@code src} into {@code out[0..32)}.
   */
  static void dequantize(final float[] out, final ByteBuffer src, final int at) {
    final float d = Float.float16ToFloat(src.getShort(at));
    for (int j = 0; j < 32; j++) {
      out[j] = src.get(at + 2 + j) * d;
    }
  }
}
