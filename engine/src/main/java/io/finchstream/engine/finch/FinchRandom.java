package io.finchstream.engine.finch;

import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.rwkv.RandomWeights;
import io.finchstream.engine.rwkv.RandomWeights.Init;
import java.nio.file.Path;

/**
 * Seeded random weights for a Finch model, as a lazily generated {@link Checkpoint} (canonical
 * names and shapes, float32). Scales are realistic so activations stay in the range of a trained
 * model: LayerNorm weights ≈ 1, mixing coefficients in (0, 1), per-channel {@code time_decay}
 * spread so that the decays {@code exp(−exp(·))} cover (0, 1), a small bonus {@code time_faaaa},
 * linear weights ~N(0, 1/√in) and small LoRAs. Values are generated on demand ({@link
 * RandomWeights}).
 */
public final class FinchRandom {

  private FinchRandom() {}

  /** The random model of {@code config} and {@code seed} as a checkpoint. */
  public static Checkpoint checkpoint(final FinchConfig config, final long seed) {
    final Path path =
        RandomWeights.path("finch", config.layers(), config.dim(), config.vocabSize(), seed);
    return RandomWeights.checkpoint(
        path, FinchLayout.tensors(config), seed, (name, shape) -> init(name, shape, config));
  }

  private static Init init(final String name, final long[] shape, final FinchConfig config) {
    final String kind = RandomWeights.kind(name);
    final double c = config.dim();
    return switch (kind) {
      case "ln0.weight", "ln1.weight", "ln2.weight", "ln_out.weight", "ln_x.weight" ->
          Init.normal(1.0, 0.1);
      case "ln0.bias", "ln1.bias", "ln2.bias", "ln_out.bias", "ln_x.bias" -> Init.normal(0.0, 0.05);
      case "time_maa_x", "time_maa_w", "time_maa_k", "time_maa_v", "time_maa_r", "time_maa_g" ->
          Init.uniform(0.05, 0.95);
      case "time_maa_w1", "time_decay_w1" -> Init.normal(0.0, 0.5 / Math.sqrt(c));
      case "time_maa_w2", "time_decay_w2" -> Init.normal(0.0, 0.05);
      // from −6 (decay ≈ 0.9975) to +0.5 (decay ≈ 0.19) across channels, plus N(0, 0.1)
      case "time_decay" -> Init.decaySpread(0.1);
      case "time_faaaa" -> Init.uniform(-0.3, 0.3);
      case "emb.weight" -> Init.normal(0.0, 1.0);
      default ->
          Init.normal(0.0, 1.0 / Math.sqrt((double) shape[shape.length - 1])); // Linear [out, in]
    };
  }
}
