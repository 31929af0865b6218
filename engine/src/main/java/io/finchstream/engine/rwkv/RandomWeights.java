package io.finchstream.engine.rwkv;

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
import java.util.function.BiFunction;

/**
 * Seeded random weights as a lazily generated {@link Checkpoint} (canonical names and shapes,
 * float32), for any model layout; {@link FinchRandom} and GoldFinch's random models choose the
 * distribution of each tensor.
 *
 * <p>Values are generated on demand in blocks of {@value #BLOCK} elements, each block from its own
 * stream seeded by (seed, tensor name, block index), so any range can be read in any order without
 * holding the model in memory (a random 1.6B model streams straight into a file).
 */
public final class RandomWeights {

  private static final int BLOCK = 4096;

  private RandomWeights() {}

  /**
   * How the values of one tensor are drawn: uniform in [a, b), or normal with mean a and standard
   * deviation b; with {@code decaySpread} the mean runs from −6 to +0.5 across the elements (a
   * per-channel {@code time_decay}: decays exp(−exp(·)) from ≈ 0.9975 to ≈ 0.19).
   */
  public record Init(boolean uniform, double a, double b, boolean decaySpread) {
    /** N(mean, std²). */
    public static Init normal(final double mean, final double std) {
      return new Init(false, mean, std, false);
    }

    /** U[lo, hi). */
    public static Init uniform(final double lo, final double hi) {
      return new Init(true, lo, hi, false);
    }

    /** The decay spread plus N(0, std²). */
    public static Init decaySpread(final double std) {
      return new Init(false, 0.0, std, true);
    }
  }

  /**
   * The random model of a layout as a checkpoint.
   *
   * @param init the distribution of a tensor, from its name and shape
   */
  public static Checkpoint checkpoint(
      final Path path,
      final Map<String, long[]> layout,
      final long seed,
      final BiFunction<String, long[], Init> init) {
    final Map<String, CheckpointTensor> tensors = new LinkedHashMap<>();
    for (final Map.Entry<String, long[]> e : layout.entrySet()) {
      final long[] shape = e.getValue();
      tensors.put(
          e.getKey(), new RandomTensor(e.getKey(), shape, seed, init.apply(e.getKey(), shape)));
    }
    return new RandomCheckpoint(path, Collections.unmodifiableMap(tensors));
  }

  /**
   * The path a random model reports: {@code
   * random:<architecture>-L<layers>-D<dim>-V<vocab>-seed<seed>}.
   */
  public static Path path(
      final String architecture,
      final int layers,
      final int dim,
      final int vocab,
      final long seed) {
    return Path.of(
        "random:" + architecture + "-L" + layers + "-D" + dim + "-V" + vocab + "-seed" + seed);
  }

  /**
   * What a tensor is within its block, the key of an init table: the name without {@code
   * blocks.<i>.} and {@code att.}/{@code ffn.}, e.g. {@code time_maa_w1}, {@code ln1.weight}.
   */
  public static String kind(final String name) {
    return name.replaceFirst("^blocks\\.\\d+\\.", "").replaceFirst("^(att|ffn)\\.", "");
  }

  private static long nameHash(final String name) {
    long h = 0xcbf29ce484222325L; // FNV-1a
    for (final byte b : name.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xFF)) * 0x100000001b3L;
    }
    return h;
  }

  private record RandomCheckpoint(Path path, Map<String, CheckpointTensor> tensors)
      implements Checkpoint {
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
    public void readFloats(
        final long offset, final float[] dst, final int dstOffset, final int count) {
      if (offset < 0 || count < 0 || offset > numel - count) {
        throw new IndexOutOfBoundsException(
            name + ": [" + offset + ", " + (offset + count) + ") of " + numel);
      }
      Objects.checkFromIndexSize(dstOffset, count, dst.length);
      long i = offset;
      int out = dstOffset;
      while (i < offset + count) {
        final long block = i / BLOCK;
        final SplittableRandom random =
            new SplittableRandom(streamSeed + block * 0x9E3779B97F4A7C15L);
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
      final double mean =
          init.decaySpread() ? -6.0 + 6.5 * index / Math.max(1, numel - 1) : init.a();
      return (float) (mean + init.b() * random.nextGaussian());
    }
  }
}
