package io.finchstream.engine.finch;

import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.LoadProgress;
import io.finchstream.engine.kernels.Kernels;
import io.finchstream.engine.rwkv.ChannelMix;
import io.finchstream.engine.rwkv.Norm;
import io.finchstream.engine.rwkv.WeightReader;
import io.finchstream.engine.tensor.Matrix;
import java.util.ArrayList;
import java.util.List;

/** Reads a checkpoint into {@link FinchWeights}: strict checks first, then tensor by tensor. */
final class FinchWeightsLoader {

  private final Kernels kernels;
  private final WeightReader reader;
  private FinchConfig config;

  FinchWeightsLoader(
      final Checkpoint checkpoint,
      final WeightPrecision precision,
      final Kernels kernels,
      final LoadProgress progress) {
    this.kernels = kernels;
    this.reader = new WeightReader(checkpoint, precision, progress);
  }

  FinchWeights load() {
    config = FinchConfig.infer(reader.checkpoint());
    final long parameters =
        reader.checkNames(
            FinchLayout.tensors(config),
            "a Finch model with " + config,
            "the file is truncated or not a complete RWKV-6 state dict: re-export it",
            "the file is another architecture or carries extra tensors (e.g. a tuned time_state): export the"
                + " plain RWKV-6 state dict");
    final int c = config.dim();
    final Norm ln0 = reader.norm("blocks.0.ln0");
    final float[] emb =
        reader.rowMajor(
            "emb.weight",
            config.vocabSize(),
            c,
            (rows, n) ->
                kernels.layerNorm(rows, rows, n, ln0.weight(), ln0.bias(), Norm.LAYER_NORM_EPS));
    final List<FinchBlock> blocks = new ArrayList<>(config.layers());
    for (int i = 0; i < config.layers(); i++) {
      final String b = "blocks." + i + ".";
      blocks.add(
          new FinchBlock(
              reader.norm(b + "ln1"),
              reader.norm(b + "ln2"),
              timeMix(b + "att."),
              ChannelMix.read(reader, b + "ffn.", config.dim(), config.ffnDim())));
    }
    final Norm lnOut = reader.norm("ln_out");
    final Matrix head = reader.unquantizedMatrix("head.weight", config.vocabSize(), c);
    reader.done();
    return new FinchWeights(config, reader.precision(), emb, blocks, lnOut, head, parameters);
  }

  private TimeMix timeMix(final String a) {
    final int c = config.dim();
    final int dMix = config.mixRank();
    final int dDecay = config.decayRank();
    final Matrix[] w2t =
        reader.transposedSlices(
            a + "time_maa_w2", FinchConfig.MIX_BRANCHES, dMix, c); // [5, D_MIX, C]
    return new TimeMix(
        reader.vector(a + "time_maa_x"),
        reader.vector(a + "time_maa_w"),
        reader.vector(a + "time_maa_k"),
        reader.vector(a + "time_maa_v"),
        reader.vector(a + "time_maa_r"),
        reader.vector(a + "time_maa_g"),
        reader.transposed(a + "time_maa_w1", c, FinchConfig.MIX_BRANCHES * dMix),
        w2t,
        reader.vector(a + "time_decay"),
        reader.transposed(a + "time_decay_w1", c, dDecay),
        reader.transposed(a + "time_decay_w2", dDecay, c),
        reader.vector(a + "time_faaaa"),
        reader.matrix(a + "receptance.weight", c, c),
        reader.matrix(a + "key.weight", c, c),
        reader.matrix(a + "value.weight", c, c),
        reader.matrix(a + "output.weight", c, c),
        reader.matrix(a + "gate.weight", c, c),
        reader.norm(a + "ln_x"));
  }
}
