package io.finchstream.engine.rwkv;

import io.finchstream.engine.kernels.Kernels;

/**
 * The token shift of one conversation's rows (finch-math §2.2, §2.7): {@code sx[t] = xx[t−1] −
 * xx[t]}, where the row before the first is {@code prev} (the state's stored LN output of its
 * previous token); then {@code prev} takes the last row's LN output. Shared by Finch and GoldFinch.
 */
public final class TokenShift {

  private TokenShift() {}

  /**
   * Rows {@code [firstRow, firstRow + n)} of {@code xx} and {@code sx} ({@code [rows, c]}).
   *
   * @param prev [c] the LN output before the first row; replaced by the last row's
   */
  public static void apply(
      final Kernels kernels,
      final float[] sx,
      final float[] xx,
      final float[] prev,
      final int firstRow,
      final int n,
      final int c) {
    final int first = firstRow * c;
    kernels.sub(sx, first, prev, 0, xx, first, c);
    kernels.sub(sx, first + c, xx, first, xx, first + c, (n - 1) * c);
    System.arraycopy(xx, first + (n - 1) * c, prev, 0, c);
  }
}
