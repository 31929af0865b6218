package io.finchstream.engine.goldfinch;

import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.goldfinch.GoldFinchBlocks.FinchC2Block;
import io.finchstream.engine.goldfinch.GoldFinchBlocks.GoldBlock;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.LoadProgress;
import io.finchstream.engine.rwkv.ChannelMix;
import io.finchstream.engine.rwkv.Norm;
import io.finchstream.engine.rwkv.WeightReader;
import io.finchstream.engine.tensor.Matrix;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a checkpoint into {@link GoldFinchWeights}, strictly: every tensor of {@link
 * GoldFinchLayout} present with its shape, nothing left over, then tensor by tensor.
 */
final class GoldFinchWeightsLoader {

  private final GoldFinchConfig config;
  private final WeightReader reader;

  GoldFinchWeightsLoader(
      final Checkpoint checkpoint,
      final GoldFinchConfig config,
      final WeightPrecision precision,
      final LoadProgress progress) {
    this.config = config;
    this.reader = new WeightReader(checkpoint, precision, progress);
  }

  GoldFinchWeights load() {
    final String model = "a GoldFinch model with " + describe(config);
    final long parameters =
        reader.checkNames(
            GoldFinchLayout.tensors(config),
            model,
            "the file is truncated or not a complete GoldFinch state dict (goldfinch-math §6.3): re-export it",
            "the file carries tensors a GoldFinch model does not have (another architecture, or a training"
                + " checkpoint with extra state): export the plain model state dict");
    final int c = config.dim();
    final Norm ln0 = reader.norm("blocks.0.ln0");
    final Matrix emb = reader.unquantizedMatrix("emb.weight", config.vocab(), c);
    final List<FinchC2Block> finch = new ArrayList<>();
    final List<GoldBlock> gold = new ArrayList<>();
    for (int i = 0; i < config.layers(); i++) {
      final String b = "blocks." + i + ".";
      final Norm ln1 = reader.norm(b + "ln1");
      final Norm ln2 = reader.norm(b + "ln2");
      if (i < config.finchLayers()) {
        finch.add(new FinchC2Block(ln1, ln2, finchC2(b + "att."), ffn(b)));
      } else {
        gold.add(new GoldBlock(ln1, ln2, gold(b + "att."), ffn(b)));
      }
    }
    final Norm lnOut = reader.norm("ln_out");
    final Matrix head = reader.unquantizedMatrix("head.weight", config.vocab(), c);
    final Matrix kvA = reader.matrix("w_kv_cache_a.weight", config.compressed(), c);
    final Matrix kvB = reader.matrix("w_kv_cache_b.weight", c, c + config.compressed());
    reader.done();
    return new GoldFinchWeights(
        config, reader.precision(), emb, ln0, finch, gold, lnOut, head, kvA, kvB, parameters);
  }

  private ChannelMix ffn(final String block) {
    return ChannelMix.read(reader, block + "ffn.", config.dim(), config.ffn());
  }

  private FinchC2TimeMix finchC2(final String a) {
    final int c = config.dim();
    final int dMix = config.mixRank();
    final Matrix[] w2t =
        reader.transposedSlices(
            a + "time_maa_w2", FinchC2TimeMix.BRANCHES, dMix, c); // [5, D_MIX, C]
    reader.vector(a + "time_faaaa"); // present in the file, unused: u = 0 (goldfinch-math §2.1)
    return new FinchC2TimeMix(
        reader.vector(a + "time_maa_x"),
        reader.vector(a + "time_maa_r"),
        reader.vector(a + "time_maa_k"),
        reader.vector(a + "time_maa_v"),
        reader.vector(a + "time_maa_w"),
        reader.vector(a + "time_maa_v2"),
        reader.transposed(a + "time_maa_w1", c, FinchC2TimeMix.BRANCHES * dMix),
        w2t,
        reader.vector(a + "time_decay"),
        loraDown(a + "time_decay_w1", config.decayRank()),
        loraUp(a + "time_decay_w2", config.decayRank()),
        loraDown(a + "time_value2_w1", config.value2Rank()),
        loraUp(a + "time_value2_w2", config.value2Rank()),
        reader.matrix(a + "receptance.weight", c, c),
        reader.matrix(a + "key.weight", c, c),
        reader.matrix(a + "value.weight", c, c),
        reader.matrix(a + "output.weight", c, c),
        reader.norm(a + "ln_x"));
  }

  private GoldTimeMix gold(final String a) {
    final int c = config.dim();
    final int dKv = config.kvMixRank();
    final Matrix[] kvW2 = reader.transposedSlices(a + "time_maa_kv_w2", 2, dKv, c); // [2, D_KV, C]
    return new GoldTimeMix(
        reader.vector(a + "time_maa_x"),
        reader.vector(a + "time_maa_q"),
        reader.vector(a + "time_maa_v_cache"),
        reader.vector(a + "time_maa_k"),
        reader.vector(a + "time_maa_v"),
        loraDown(a + "time_maa_q_w1", config.queryRank()),
        loraUp(a + "time_maa_q_w2", config.queryRank()),
        loraDown(a + "time_maa_kv_w1", 2 * dKv),
        kvW2,
        loraDown(a + "time_key_w1", config.kvRank()),
        loraUp(a + "time_key_w2", config.kvRank()),
        loraDown(a + "time_value_w1", config.kvRank()),
        loraUp(a + "time_value_w2", config.kvRank()),
        reader.matrix(a + "query.weight", c, c),
        reader.matrix(a + "output.weight", c, c),
        reader.norm(a + "ln_q"),
        reader.norm(a + "ln_k"),
        reader.norm(a + "ln_v"),
        reader.norm(a + "ln_x"));
  }

  /** A LoRA down-projection .pth [C, D], held [D, C]. */
  private Matrix loraDown(final String name, final int rank) {
    return reader.transposed(name, config.dim(), rank);
  }

  /** A LoRA up-projection .pth [D, C], held [C, D]. */
  private Matrix loraUp(final String name, final int rank) {
    return reader.transposed(name, rank, config.dim());
  }

  static String describe(final GoldFinchConfig c) {
    return "L="
        + c.layers()
        + " ("
        + c.finchLayers()
        + " Finch-C2 + "
        + c.goldLayers()
        + " GOLD) C="
        + c.dim()
        + " H="
        + c.heads()
        + " N="
        + c.headSize()
        + " F="
        + c.ffn()
        + " R="
        + c.compressed()
        + " V="
        + c.vocab();
  }
}
