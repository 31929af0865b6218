package io.finchstream.engine.goldfinch;

import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.rwkv.RandomWeights;
import io.finchstream.engine.rwkv.RandomWeights.Init;
import java.nio.file.Path;

/**
 * Seeded random weights for a GoldFinch model in the official layout ({@link GoldFinchLayout}), as
 * a lazily generated checkpoint ({@link RandomWeights}). Scales keep activations in the range of a
 * trained model: LayerNorm weights ≈ 1, mixing coefficients in (0, 1), per-channel {@code
 * time_decay} spread so the decays cover (0, 1), LoRA down-projections that keep tanh out of
 * saturation, Linear weights ~N(0, 1/√in), a head giving logits of a few units. For tests and
 * benchmarks.
 */
public final class GoldFinchRandom {

  private GoldFinchRandom() {}

  /** The random model of {@code config} and {@code seed} as a checkpoint. */
  public static Checkpoint checkpoint(final GoldFinchConfig config, final long seed) {
    final Path path =
        RandomWeights.path("goldfinch", config.layers(), config.dim(), config.vocab(), seed);
    return RandomWeights.checkpoint(
        path, GoldFinchLayout.tensors(config), seed, (name, shape) -> init(name, shape, config));
  }

  private static Init init(final String name, final long[] shape, final GoldFinchConfig config) {
    final String kind = RandomWeights.kind(name);
    final double c = config.dim();
    if (kind.matches("ln(0|1|2|_out|_x|_q|_k|_v)\\.weight")) {
      return Init.normal(1.0, 0.2);
    } else if (kind.matches("ln(0|1|2|_out|_x|_q|_k|_v)\\.bias")) {
      return Init.normal(0.0, 0.1);
    } else if (kind.matches("time_maa_(x|r|k|v|w|v2|q|v_cache)")) {
      return Init.uniform(0.0, 1.0);
    } else if (kind.equals("time_decay")) {
      return Init.decaySpread(0.3);
    } else if (kind.equals("time_faaaa")) {
      return Init.normal(0.0, 0.5); // stored, unused (u = 0)
    } else if (kind.matches("time_(maa|maa_q|maa_kv|decay|value2|key|value)_w1")) {
      return Init.normal(0.0, 1.6 / Math.sqrt(c)); // LoRA down [C, D]
    } else if (kind.matches("time_(maa|maa_q|maa_kv|decay|value2|key|value)_w2")) {
      return Init.normal(0.0, 0.2); // LoRA up [D, C]
    } else if (kind.equals("emb.weight")) {
      return Init.normal(0.0, 1.0);
    } else if (kind.equals("head.weight")) {
      return Init.normal(0.0, 2.0 / Math.sqrt(c));
    } else if (kind.equals("output.weight")) {
      return Init.normal(0.0, 0.7 / Math.sqrt((double) shape[1]));
    }
    return Init.normal(0.0, 1.0 / Math.sqrt((double) shape[shape.length - 1])); // Linear [out, in]
  }
}
