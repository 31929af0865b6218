package io.finchstream.engine.rwkv;

import io.finchstream.engine.kernels.Kernels;
import io.finchstream.engine.tensor.Matrix;
import java.util.function.IntFunction;

/**
 * The output head, {@code logits = head · LN_out(x)} of the residual vector after the last block
 * (finch-math §2.1), shared by Finch and GoldFinch.
 */
public final class Head {

  private Head() {}

  /**
   * {@code out[i] = head · LN_out(lastX[i])} for every i, up to {@code rows} vectors per matmul.
   *
   * @param head [V, C]
   * @param lastX [n][C] the states' residual vectors after the last block (not changed)
   * @param out [n][V]
   * @param xx scratch [rows, C]
   * @param buffer scratch [rows, V] for a given V, asked for only when a batch has several rows (a
   *     single row is written straight into its output)
   */
  public static void logits(
      final Kernels kernels,
      final Norm lnOut,
      final Matrix head,
      final float[][] lastX,
      final float[][] out,
      final int rows,
      final float[] xx,
      final IntFunction<float[]> buffer) {
    final int c = head.cols();
    final int vocab = head.rows();
    for (int p = 0; p < lastX.length; p += rows) {
      final int n = Math.min(rows, lastX.length - p);
      for (int i = 0; i < n; i++) {
        System.arraycopy(lastX[p + i], 0, xx, i * c, c);
      }
      kernels.layerNorm(xx, xx, n, lnOut.weight(), lnOut.bias(), Norm.LAYER_NORM_EPS);
      if (n == 1) {
        kernels.matmul(out[p], 0, vocab, xx, 0, c, 1, head);
      } else {
        final float[] logits = buffer.apply(vocab);
        kernels.matmul(logits, 0, vocab, xx, 0, c, n, head);
        for (int i = 0; i < n; i++) {
          System.arraycopy(logits, i * vocab, out[p + i], 0, vocab);
        }
      }
    }
  }
}
