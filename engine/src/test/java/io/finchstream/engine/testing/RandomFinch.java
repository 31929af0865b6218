package io.finchstream.engine.testing;

import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.finch.FinchConfig;
import io.finchstream.engine.finch.FinchModel;
import io.finchstream.engine.finch.FinchRandom;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.CheckpointTensor;
import io.finchstream.engine.io.MemoryCheckpoint;
import io.finchstream.engine.tensor.Bf16;

/** Random-weight Finch models (see {@link FinchRandom}) and checkpoint edits, for tests. */
public final class RandomFinch {

  private RandomFinch() {}

  /** A small model: L=2, C=32, N=8 (H=4), F=112, vocab 50. */
  public static FinchConfig small() {
    return FinchConfig.standard(2, 32, 8, 50);
  }

  /** All tensors of a random model, materialised in memory. */
  public static MemoryCheckpoint checkpoint(final FinchConfig config, final long seed) {
    return MemoryCheckpoint.copyOf(FinchRandom.checkpoint(config, seed));
  }

  /**
   * Like {@link #checkpoint}, with every value rounded to bf16 (as the official checkpoints are).
   */
  public static MemoryCheckpoint checkpointRoundedToBf16(
      final FinchConfig config, final long seed) {
    final Checkpoint source = FinchRandom.checkpoint(config, seed);
    final MemoryCheckpoint.Builder b = MemoryCheckpoint.builder("random-finch-bf16-" + seed);
    for (final String name : source.names()) {
      final CheckpointTensor t = source.tensor(name);
      final float[] values = t.toFloats();
      for (int i = 0; i < values.length; i++) {
        values[i] = Bf16.toFloat(Bf16.fromFloat(values[i]));
      }
      b.put(name, t.shape(), values);
    }
    return b.build();
  }

  /**
   * A copy of {@code source} (label {@code label}) without tensor {@code drop}, plus {@code name}
   * when not null.
   */
  public static MemoryCheckpoint edited(
      final Checkpoint source,
      final String label,
      final String drop,
      final String name,
      final long[] shape,
      final float[] values) {
    final MemoryCheckpoint.Builder b = MemoryCheckpoint.builder(label);
    for (final String n : source.names()) {
      if (!n.equals(drop) && !n.equals(name)) {
        final CheckpointTensor t = source.tensor(n);
        b.put(n, t.shape(), t.toFloats());
      }
    }
    if (name != null) {
      b.put(name, shape, values);
    }
    return b.build();
  }

  /** A random model loaded with the given options. */
  public static FinchModel model(
      final FinchConfig config, final long seed, final LoadOptions options) {
    return FinchModel.load(FinchRandom.checkpoint(config, seed), options);
  }
}
