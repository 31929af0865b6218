package io.finchstream.engine.finch;

import io.finchstream.engine.rwkv.Norm;
import io.finchstream.engine.rwkv.TimeMixLoras;
import io.finchstream.engine.tensor.Matrix;

/**
 * The weights of one TimeMix ({@code blocks.i.att.*}, finch-math §2.2–2.4), named as in the
 * checkpoint. LoRA matrices are held output-major (transposed from the .pth) so that every matrix
 * is applied as {@code y = W·x} by the same matmul kernel.
 *
 * @param time_maa_x static shift mix for the LoRA input [C] (.pth [1, 1, C])
 * @param time_maa_w shift mix of the decay branch [C]
 * @param time_maa_k shift mix of the key branch [C]
 * @param time_maa_v shift mix of the value branch [C]
 * @param time_maa_r shift mix of the receptance branch [C]
 * @param time_maa_g shift mix of the gate branch [C]
 * @param time_maa_w1 token-shift LoRA down-projection, held [5·D_MIX, C] (.pth [C, 5·D_MIX])
 * @param time_maa_w2 token-shift LoRA up-projections, one per branch w, k, v, r, g, each held [C,
 *     D_MIX] (.pth [5, D_MIX, C])
 * @param time_decay static log-log decay [C] (.pth [1, 1, C])
 * @param time_decay_w1 decay LoRA down-projection, held [D_DECAY, C] (.pth [C, D_DECAY])
 * @param time_decay_w2 decay LoRA up-projection, held [C, D_DECAY] (.pth [D_DECAY, C])
 * @param time_faaaa bonus u, [H·N] (.pth [H, N]), used raw (§7.6)
 * @param receptance {@code receptance.weight} [C, C]
 * @param key {@code key.weight} [C, C]
 * @param value {@code value.weight} [C, C]
 * @param output {@code output.weight} [C, C]
 * @param gate {@code gate.weight} [C, C]
 * @param ln_x per-head GroupNorm affine {@code ln_x.weight/.bias} [C]
 */
@SuppressWarnings("ArrayRecordComponent") // weights: read-only, never compared or hashed
public record TimeMix(
    float[] time_maa_x,
    float[] time_maa_w,
    float[] time_maa_k,
    float[] time_maa_v,
    float[] time_maa_r,
    float[] time_maa_g,
    Matrix time_maa_w1,
    Matrix[] time_maa_w2,
    float[] time_decay,
    Matrix time_decay_w1,
    Matrix time_decay_w2,
    float[] time_faaaa,
    Matrix receptance,
    Matrix key,
    Matrix value,
    Matrix output,
    Matrix gate,
    Norm ln_x)
    implements TimeMixLoras {

  /** Branch indices into {@code time_maa_w2}, in checkpoint order w, k, v, r, g (§7.3). */
  public static final int W = 0;

  public static final int K = 1;
  public static final int V = 2;
  public static final int R = 3;
  public static final int G = 4;

  /** The static mix of LoRA branch {@code f} (order w, k, v, r, g). */
  @Override
  public float[] branchMix(final int f) {
    return switch (f) {
      case W -> time_maa_w;
      case K -> time_maa_k;
      case V -> time_maa_v;
      case R -> time_maa_r;
      case G -> time_maa_g;
      default -> throw new IndexOutOfBoundsException("LoRA branch " + f);
    };
  }
}
