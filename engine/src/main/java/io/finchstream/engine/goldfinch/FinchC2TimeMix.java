package io.finchstream.engine.goldfinch;

import io.finchstream.engine.rwkv.Norm;
import io.finchstream.engine.rwkv.TimeMixLoras;
import io.finchstream.engine.tensor.Matrix;

/**
 * The weights of one Finch-C2 time mix ({@code blocks.i.att.*}, i &lt; L_F; goldfinch-math §2),
 * named as in the checkpoint. LoRA matrices are held output-major (transposed from the .pth) so
 * every matrix is applied as {@code y = W·x}. {@code time_faaaa} is in the checkpoint but unused (u
 * = 0), so it is not kept.
 *
 * @param time_maa_x static shift mix of the LoRA input [C] (.pth [1, 1, C])
 * @param time_maa_r shift mix of the receptance branch [C]
 * @param time_maa_k shift mix of the key branch [C]
 * @param time_maa_v shift mix of the value branch [C]
 * @param time_maa_w shift mix of the decay branch [C]
 * @param time_maa_v2 shift mix of the second-value branch [C]
 * @param time_maa_w1 token-shift LoRA down-projection, held [5·D_MIX, C] (.pth [C, 5·D_MIX])
 * @param time_maa_w2 up-projections for branches r, k, v, w, v2, each held [C, D_MIX] (.pth [5,
 *     D_MIX, C])
 * @param time_decay static log-log decay [A]
 * @param time_decay_w1 decay LoRA down, held [D_DECAY, C]
 * @param time_decay_w2 decay LoRA up, held [A, D_DECAY]
 * @param time_value2_w1 second-value LoRA down, held [D_V2, C]
 * @param time_value2_w2 second-value LoRA up, held [A, D_V2]
 * @param receptance {@code receptance.weight} [A, C]
 * @param key {@code key.weight} [A, C]
 * @param value {@code value.weight} [A, C], shared by v and the second value u'
 * @param output {@code output.weight} [C, A]
 * @param ln_x full-width LayerNorm over A channels
 */
@SuppressWarnings("ArrayRecordComponent") // weights: read-only, never compared or hashed
public record FinchC2TimeMix(
    float[] time_maa_x,
    float[] time_maa_r,
    float[] time_maa_k,
    float[] time_maa_v,
    float[] time_maa_w,
    float[] time_maa_v2,
    Matrix time_maa_w1,
    Matrix[] time_maa_w2,
    float[] time_decay,
    Matrix time_decay_w1,
    Matrix time_decay_w2,
    Matrix time_value2_w1,
    Matrix time_value2_w2,
    Matrix receptance,
    Matrix key,
    Matrix value,
    Matrix output,
    Norm ln_x)
    implements TimeMixLoras {

  /** LoRA branches in checkpoint order r, k, v, w, v2 (goldfinch-math §2.1). */
  public static final int BRANCHES = 5;

  /** Branch indices into {@code time_maa_w2}. */
  public static final int R = 0;

  public static final int K = 1;
  public static final int V = 2;
  public static final int W = 3;
  public static final int V2 = 4;

  /** The static mix of branch {@code f} (order r, k, v, w, v2). */
  @Override
  public float[] branchMix(final int f) {
    return switch (f) {
      case R -> time_maa_r;
      case K -> time_maa_k;
      case V -> time_maa_v;
      case W -> time_maa_w;
      case V2 -> time_maa_v2;
      default -> throw new IndexOutOfBoundsException("LoRA branch " + f);
    };
  }
}
