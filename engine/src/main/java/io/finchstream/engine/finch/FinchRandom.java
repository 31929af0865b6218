package io.finchstream.engine.finch;

import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.CheckpointTensor;
import io.finchstream.engine.io.DType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Seeded random weights for a Finch model, as a lazily generated {@link Checkpoint} (canonical names
 * and shapes, float32). Scales are realistic so activations stay in the range of a trained model:
 * LayerNorm weights ≈ 1, mixing coefficients in (0, 1), per-channel {@code time_decay} spread so
 * that the decays {@code exp(−exp(·))} cover (0, 1), a small bonus {@code time_faaaa}, linear
 * weights ~N(0, 1/√in) and small LoRAs.
 *
 * <p>Values are generated on demand in blocks of {@value #BLOCK} elements, each block from its own
 * stream seeded by (seed, tensor name, block index), so any range can be read in any order without
 * holding the model in memory (a random 1.6B model streams straight into a file).
 */
public final class FinchRandom {

  private static final int BLOCK = 4096;

  private FinchRandom() {}

  /** How the values of one tensor are drawn. */
  private record Init(boolean uniform, double a, double b, boolean decaySpread) {
    static Init normal(final double mean, final double std) {
      return new Init(false, mean, std, false);
    }

    static Init uniform(final double lo, final double hi) {
      return new Init(true, lo, hi, false);
    }
  }

  /** The random model of {@code config} and {@code seed} as a checkpoint. */
  public static Checkpoint checkpoint(final FinchConfig config, final long seed) {
    final Map<String, CheckpointTensor> tensors = new LinkedHashMap<>();
    for (final Map.Entry<String, long[]> e : FinchLayout.tensors(config).entrySet()) {
      final long[] shape = e.getValue();
      tensors.put(e.getKey(), new RandomTensor(e.getKey(), shape, seed, init(e.getKey(), shape, config)));
    }
    final Path path = Path.of("random:finch-L" + config.layers() + "-D" + config.dim() + "-V"
        + config.vocabSize() + "-seed" + seed);
    return new RandomCheckpoint(path, Collections.unmodifiableMap(tensors));
  }

  private static Init init(final String name, final long[] shape, final FinchConfig config) {
    final String kind = name.replaceFirst("^blocks\\.\\d+\\.", "").replaceFirst("^(att|ffn)\\.", "");
    final double c = config.dim();
    return switch (kind) {
      case "ln0.weight", "ln1.weight", "ln2.weight", "ln_out.weight", "ln_x.weight" -> Init.normal(1.0, 0.1);
      case "ln0.bias", "ln1.bias", "ln2.bias", "ln_out.bias", "ln_x.bias" -> Init.normal(0.0, 0.05);
      case "time_maa_x", "time_maa_w", "time_maa_k", "time_maa_v", "time_maa_r", "time_maa_g" ->
          Init.uniform(0.05, 0.95);
      case "time_maa_w1", "time_decay_w1" -> Init.normal(0.0, 0.5 / Math.sqrt(c));
      case "time_maa_w2", "time_decay_w2" -> Init.normal(0.0, 0.05);
      // from −6 (decay ≈ 0.9975) to +0.5 (decay ≈ 0.19) across channels, plus N(0, 0.1)
      case "time_decay" -> new Init(false, 0.0, 0.1, true);
      case "time_faaaa" -> Init.uniform(-0.3, 0.3);
      case "emb.weight" -> Init.normal(0.0, 1.0);
      default -> Init.normal(0.0, 1.0 / Math.sqrt(shape[shape.length - 1])); // Linear [out, in]
    };
  }

  private static long nameHash(final String name) {
    long h = 0xcbf29ce484222325L; // FNV-1a
    for (final byte b : name.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xFF)) * 0x100000001b3L;
    }
    return h;
  }

  private record RandomCheckpoint(Path path, Map<String, CheckpointTensor> tensors) implements Checkpoint {
    @Override
    public String format() {
      return "random";
    }

    @Override
    public Set<String> names() {
      return tensors.keySet();
    }

    @Override
    public CheckpointTensor tensor(final String name) {
      final CheckpointTensor t = tensors.get(name);
      if (t == null) {
        throw new CheckpointException(path, "has no tensor '" + name + "'");
      }
      return t;
    }

    @Override
    public void close() {}
  }

  private static final class RandomTensor implements CheckpointTensor {
    private final String name;
    private final long[] shape;
    private final long numel;
    private final long streamSeed;
    private final Init init;

    RandomTensor(final String name, final long[] shape, final long seed, final Init init) {
      this.name = name;
      this.shape = shape.clone();
      long n = 1;
      for (final long d : shape) {
        n *= d;
      }
      this.numel = n;
      this.streamSeed = seed ^ nameHash(name);
      this.init = init;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public long[] shape() {
      return shape.clone();
    }

    @Override
    public DType storedType() {
      return DType.F32;
    }

    @Override
    public void readFloats(final long offset, final float[] dst, final int dstOffset, final int count) {
      if (offset < 0 || count < 0 || offset > numel - count) {
        throw new IndexOutOfBoundsException(name + ": [" + offset + ", " + (offset + count) + ") of " + numel);
      }
      Objects.checkFromIndexSize(dstOffset, count, dst.length);
      long i = offset;
      int out = dstOffset;
      while (i < offset + count) {
        final long block = i / BLOCK;
        final SplittableRandom random = new SplittableRandom(streamSeed + block * 0x9E3779B97F4A7C15L);
        for (long skip = block * BLOCK; skip < i; skip++) {
          draw(random, skip);
        }
        final long end = Math.min(offset + count, (block + 1) * BLOCK);
        for (; i < end; i++) {
          dst[out++] = draw(random, i);
        }
      }
    }

    private float draw(final SplittableRandom random, final long index) {
      if (init.uniform()) {
        return (float) random.nextDouble(init.a(), init.b());
      }
      final double mean = init.decaySpread() ? -6.0 + 6.5 * index / Math.max(1, numel - 1) : init.a();
      return (float) (mean + init.b() * random.nextGaussian());
    }
  }
}
