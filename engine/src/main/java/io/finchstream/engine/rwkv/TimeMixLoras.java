package io.finchstream.engine.rwkv;

import io.finchstream.engine.kernels.Kernels;
import io.finchstream.engine.tensor.Matrix;

/**
 * The two LoRA steps that Finch's time mix and GoldFinch's Finch-C2 time mix compute alike, on
 * their weights (named as in the checkpoint): the data-dependent token shift (ddlerp, finch-math
 * §2.2, goldfinch-math §2.1) and the data-dependent decay (finch-math §2.3). Each record supplies
 * the weights and the order of its branches ({@link #branchMix}).
 */
public interface TimeMixLoras {

  /** Static shift mix of the LoRA input [C]. */
  float[] time_maa_x();

  /** Token-shift LoRA down-projection, held [B·D_MIX, C]. */
  Matrix time_maa_w1();

  /** Token-shift LoRA up-projections, one per branch, each held [C, D_MIX]. */
  Matrix[] time_maa_w2();

  /** The static mix of branch {@code f} [C]. */
  float[] branchMix(int f);

  /** Static log-log decay [C]. */
  float[] time_decay();

  /** Decay LoRA down-projection, held [D_DECAY, C]. */
  Matrix time_decay_w1();

  /** Decay LoRA up-projection, held [C, D_DECAY]. */
  Matrix time_decay_w2();

  /**
   * ddlerp over {@code rows} rows: {@code xxx = xx + sx ⊙ time_maa_x; h = tanh(xxx · W1); mixed[f]
   * = xx + sx ⊙ (branchMix(f) + h_f · W2[f])} for every branch f.
   *
   * @param mixed [B][rows, C] the branch inputs, out
   * @param xx LN1 output [rows, C]
   * @param sx token shift [rows, C]
   * @param xxx scratch [rows, C]
   * @param h scratch [rows, B·D_MIX]
   * @param m scratch [rows, C]
   */
  default void ddlerp(
      final Kernels kernels,
      final float[][] mixed,
      final float[] xx,
      final float[] sx,
      final int rows,
      final int c,
      final int dMix,
      final float[] xxx,
      final float[] h,
      final float[] m) {
    final int branches = time_maa_w2().length;
    kernels.lerp(xxx, xx, sx, time_maa_x(), rows);
    kernels.matmul(h, 0, branches * dMix, xxx, 0, c, rows, time_maa_w1());
    kernels.tanh(h, rows * branches * dMix);
    for (int f = 0; f < branches; f++) {
      kernels.matmul(m, 0, c, h, f * dMix, branches * dMix, rows, time_maa_w2()[f]);
      kernels.ddlerp(mixed[f], xx, sx, branchMix(f), m, 0, c, rows);
    }
  }

  /**
   * {@code w = exp(−exp(time_decay + tanh(xw · decay_w1) · decay_w2))} over {@code rows} rows.
   *
   * @param w [rows, C] out
   * @param xw the decay branch's input [rows, C]
   * @param d scratch [rows, D_DECAY]
   */
  default void decay(
      final Kernels kernels,
      final float[] w,
      final float[] xw,
      final int rows,
      final int c,
      final int dDecay,
      final float[] d) {
    kernels.matmul(d, 0, dDecay, xw, 0, c, rows, time_decay_w1());
    kernels.tanh(d, rows * dDecay);
    kernels.matmul(w, 0, c, d, 0, dDecay, rows, time_decay_w2());
    kernels.decay(w, time_decay(), rows);
  }
}
