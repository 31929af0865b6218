package io.finchstream.engine.io.ggml;

import java.nio.ByteBuffer;

/**
 * ggml {@code block_q5_1}: 32 values in 24 bytes: fp16 scale {@code d}, fp16 min {@code m}, uint32
 * {@code qh} (the fifth bit of each quant) and 16 bytes {@code qs} (low nibbles: values 0..15, high
 * nibbles: values 16..31). {@code y[j] = d·q[j] + m} (ggml {@code dequantize_row_q5_1}).
 */
final class Q5_1Block {

  private Q5_1Block() {}

  /**
   * Decodes the block starting at absolute byte {@code at} of {@code src} into {@code out[0..32)}.
   */
  static void dequantize(final float[] out, final ByteBuffer src, final int at) {
    final float d = Float.float16ToFloat(src.getShort(at));
    final float m = Float.float16ToFloat(src.getShort(at + 2));
    final int qh = src.getInt(at + 4);
    for (int j = 0; j < 16; j++) {
      final int qs = src.get(at + 8 + j) & 0xFF;
      final int lo = (qs & 0x0F) | (((qh >>> j) & 1) << 4);
      final int hi = (qs >>> 4) | (((qh >>> (j + 16)) & 1) << 4);
      out[j] = lo * d + m;
      out[j + 16] = hi * d + m;
    }
  }
}
