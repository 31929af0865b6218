package io.finchstream.engine.testing;

import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.finch.FinchConfig;
import io.finchstream.engine.finch.FinchModel;
import io.finchstream.engine.finch.FinchRandom;
import io.finchstream.engine.tensor.Bf16;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Random-weight Finch models in memory (see {@link FinchRandom}), for tests. */
public final class RandomFinch {

  private RandomFinch() {}

  /** A small model: L=2, C=32, N=8 (H=4), F=112, vocab 50. */
  public static FinchConfig small() {
    return FinchConfig.standard(2, 32, 8, 50);
  }

  /** All tensors of a random model as an in-memory checkpoint. */
  public static InMemoryCheckpoint checkpoint(final FinchConfig config, final long seed) {
    final Map<String, InMemoryCheckpoint.Tensor> tensors = new LinkedHashMap<>();
    for (final Map.Entry<String, long[]> e : FinchRandom.layout(config).entrySet()) {
      tensors.put(e.getKey(),
          new InMemoryCheckpoint.Tensor(e.getKey(), e.getValue(), FinchRandom.values(config, e.getKey(), seed)));
    }
    return new InMemoryCheckpoint(Path.of("random-finch-" + seed + ".memory"), tensors);
  }

  /** Like {@link #checkpoint}, with every value rounded to bf16 (as the official checkpoints are). */
  public static InMemoryCheckpoint checkpointRoundedToBf16(final FinchConfig config, final long seed) {
    final Map<String, InMemoryCheckpoint.Tensor> tensors = new LinkedHashMap<>();
    for (final Map.Entry<String, long[]> e : FinchRandom.layout(config).entrySet()) {
      final float[] values = FinchRandom.values(config, e.getKey(), seed);
      for (int i = 0; i < values.length; i++) {
        values[i] = Bf16.toFloat(Bf16.fromFloat(values[i]));
      }
      tensors.put(e.getKey(), new InMemoryCheckpoint.Tensor(e.getKey(), e.getValue(), values));
    }
    return new InMemoryCheckpoint(Path.of("random-finch-bf16-" + seed + ".memory"), tensors);
  }

  /** A random model loaded with the given options. */
  public static FinchModel model(final FinchConfig config, final long seed, final LoadOptions options) {
    return FinchModel.load(checkpoint(config, seed), options);
  }
}
