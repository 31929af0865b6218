package io.finchstream.engine.goldfinch;

import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.goldfinch.GoldFinchBlocks.FinchC2Block;
import io.finchstream.engine.goldfinch.GoldFinchBlocks.GoldBlock;
import io.finchstream.engine.kernels.Kernels;
import io.finchstream.engine.rwkv.ChannelMix;
import io.finchstream.engine.rwkv.Norm;
import io.finchstream.engine.tensor.Matrix;
import java.util.List;

/**
 * All weights of a GoldFinch model, immutable and shared by every thread (goldfinch-math §6.3).
 *
 * @param config the sizes and layer split
 * @param precision in-memory precision of the matrices
 * @param emb {@code emb.weight} [V, C] as stored (not folded with ln0, so bf16 checkpoints stay
 *     exact at bf16 precision: e_t enters the cache through TokenCat and RMS(e))
 * @param ln0 {@code blocks.0.ln0}, applied to each embedded row: e_t = LN0(Emb[t]) (§1)
 * @param finch blocks {@code 0 .. L_F−1} (Finch-C2)
 * @param gold blocks {@code L_F .. L−1} (GOLD)
 * @param ln_out final norm [C]
 * @param head {@code head.weight} [V, C]
 * @param w_kv_cache_a compression W_KD [R, C] (§3.1)
 * @param w_kv_cache_b TokenCat decompression W_KU [A, C+R]: columns {@code 0..C−1} multiply e_t,
 *     {@code C..C+R−1} multiply c_t
 * @param parameters parameter count of the checkpoint
 */
public record GoldFinchWeights(
    GoldFinchConfig config,
    WeightPrecision precision,
    Matrix emb,
    Norm ln0,
    List<FinchC2Block> finch,
    List<GoldBlock> gold,
    Norm ln_out,
    Matrix head,
    Matrix w_kv_cache_a,
    Matrix w_kv_cache_b,
    long parameters) {

  public GoldFinchWeights {
    finch = List.copyOf(finch);
    gold = List.copyOf(gold);
  }

  /** {@code out[t] = LN0(Emb[tokens[from + t]])} for t &lt; rows, {@code out [rows, C]} (§1). */
  public void embed(
      final Kernels kernels,
      final int[] tokens,
      final int from,
      final int rows,
      final float[] out) {
    final int c = config.dim();
    for (int t = 0; t < rows; t++) {
      emb.rowTo(tokens[from + t], out, t * c);
    }
    kernels.layerNorm(out, out, rows, ln0.weight(), ln0.bias(), Norm.LAYER_NORM_EPS);
  }

  /** Bytes of all weights in memory. */
  public long bytes() {
    long total = emb.bytes() + head.bytes() + w_kv_cache_a.bytes() + w_kv_cache_b.bytes();
    for (final FinchC2Block b : finch) {
      final FinchC2TimeMix a = b.att();
      total +=
          sum(
                  a.time_maa_w1(),
                  a.time_decay_w1(),
                  a.time_decay_w2(),
                  a.time_value2_w1(),
                  a.time_value2_w2(),
                  a.receptance(),
                  a.key(),
                  a.value(),
                  a.output())
              + sum(a.time_maa_w2());
      total += ffn(b.ffn()) + 4L * 15 * config.dim();
    }
    for (final GoldBlock b : gold) {
      final GoldTimeMix a = b.att();
      total +=
          sum(
                  a.time_maa_q_w1(),
                  a.time_maa_q_w2(),
                  a.time_maa_kv_w1(),
                  a.time_key_w1(),
                  a.time_key_w2(),
                  a.time_value_w1(),
                  a.time_value_w2(),
                  a.query(),
                  a.output())
              + sum(a.time_maa_kv_w2());
      total += ffn(b.ffn()) + 4L * 19 * config.dim();
    }
    return total + 16L * config.dim();
  }

  private static long ffn(final ChannelMix f) {
    return f.key().bytes() + f.receptance().bytes() + f.value().bytes();
  }

  private static long sum(final Matrix... matrices) {
    long total = 0;
    for (final Matrix m : matrices) {
      total += m.bytes();
    }
    return total;
  }
}
