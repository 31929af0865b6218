package io.finchstream.engine.testing;

import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.goldfinch.GoldFinchConfig;
import io.finchstream.engine.goldfinch.GoldFinchModel;
import io.finchstream.engine.goldfinch.GoldFinchRandom;
import io.finchstream.engine.io.MemoryCheckpoint;

/** Random-weight GoldFinch models (see {@link GoldFinchRandom}), for tests. */
public final class RandomGoldFinch {

  private RandomGoldFinch() {}

  /** A small model: L=6 (4 Finch-C2 + 2 GOLD), C=32, N=16 (H=2), F=112, R=2, V=50. */
  public static GoldFinchConfig small() {
    return GoldFinchConfig.standard(6, 32, 16, 50);
  }

  /** All tensors of a random model, materialised in memory. */
  public static MemoryCheckpoint checkpoint(final GoldFinchConfig config, final long seed) {
    return MemoryCheckpoint.copyOf(GoldFinchRandom.checkpoint(config, seed));
  }

  /** A random model with the given options, the config's RoPE base and a cache block size. */
  public static GoldFinchModel model(
      final GoldFinchConfig config,
      final long seed,
      final LoadOptions options,
      final int cacheBlock) {
    return GoldFinchModel.load(
        GoldFinchRandom.checkpoint(config, seed), options, config.ropeTheta(), cacheBlock);
  }
}
