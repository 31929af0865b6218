package io.finchstream.engine.rwkv;

import io.finchstream.engine.kernels.Kernels;
import io.finchstream.engine.tensor.Matrix;
import java.util.Map;

/**
 * The weights of one ChannelMix ({@code blocks.i.ffn.*}, finch-math §2.5), named as in the
 * checkpoint, and its forward step. GoldFinch's blocks use the same ChannelMix (goldfinch-math
 * §2.3).
 *
 * @param time_maa_k shift mix of the key input [C] (.pth [1, 1, C])
 * @param time_maa_r shift mix of the receptance input [C]
 * @param key {@code key.weight} [F, C]
 * @param receptance {@code receptance.weight} [C, C]
 * @param value {@code value.weight} [C, F]
 */
@SuppressWarnings("ArrayRecordComponent") // weights: read-only, never compared or hashed
public record ChannelMix(
    float[] time_maa_k, float[] time_maa_r, Matrix key, Matrix receptance, Matrix value) {

  /**
   * Adds the canonical names and .pth shapes of a ChannelMix under {@code prefix}, in state-dict
   * order.
   */
  public static void layout(
      final Map<String, long[]> out, final String prefix, final long c, final long ffn) {
    out.put(prefix + "time_maa_k", new long[] {1, 1, c});
    out.put(prefix + "time_maa_r", new long[] {1, 1, c});
    out.put(prefix + "key.weight", new long[] {ffn, c});
    out.put(prefix + "receptance.weight", new long[] {c, c});
    out.put(prefix + "value.weight", new long[] {c, ffn});
  }

  /** The ChannelMix weights under {@code prefix} (e.g. {@code blocks.3.ffn.}). */
  public static ChannelMix read(
      final WeightReader reader, final String prefix, final int c, final int ffn) {
    return new ChannelMix(
        reader.vector(prefix + "time_maa_k"),
        reader.vector(prefix + "time_maa_r"),
        reader.matrix(prefix + "key.weight", ffn, c),
        reader.matrix(prefix + "receptance.weight", c, c),
        reader.matrix(prefix + "value.weight", c, ffn));
  }

  /**
   * {@code x += sigmoid(xr · Wr) ⊙ (relu(xk · Wk)² · Wv)} over {@code rows} rows (§2.5), where
   * {@code xk = xx + sx ⊙ time_maa_k} and {@code xr = xx + sx ⊙ time_maa_r}.
   *
   * @param x residual stream [rows, C], updated
   * @param xx LN2 output [rows, C]
   * @param sx token shift, previous row's LN2 output − xx [rows, C]
   * @param xk scratch [rows, C]
   * @param xr scratch [rows, C]
   * @param r scratch [rows, C]
   * @param out scratch [rows, C]
   * @param kk scratch [rows, F]
   */
  public void apply(
      final Kernels kernels,
      final float[] x,
      final float[] xx,
      final float[] sx,
      final int rows,
      final float[] xk,
      final float[] xr,
      final float[] r,
      final float[] out,
      final float[] kk) {
    final int c = receptance.rows();
    final int f = key.rows();
    kernels.lerp(xk, xx, sx, time_maa_k, rows);
    kernels.lerp(xr, xx, sx, time_maa_r, rows);
    kernels.matmul(kk, 0, f, xk, 0, c, rows, key);
    kernels.reluSquare(kk, rows * f);
    kernels.matmul(out, 0, c, kk, 0, f, rows, value);
    kernels.matmul(r, 0, c, xr, 0, c, rows, receptance);
    kernels.addSigmoidGated(x, r, out, rows * c);
  }
}
