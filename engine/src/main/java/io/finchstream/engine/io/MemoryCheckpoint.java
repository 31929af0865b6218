package io.finchstream.engine.io;

import io.finchstream.engine.io.internal.BaseTensor;
import io.finchstream.engine.io.internal.IndexedCheckpoint;
import io.finchstream.engine.io.internal.OpenState;
import io.finchstream.engine.io.internal.Shapes;
import io.finchstream.engine.io.internal.TensorIndex;
import java.nio.file.Path;

/**
 * A checkpoint held in memory as float32 arrays under canonical names, for tests and for generating
 * random models. The builder takes ownership of the arrays it is given (no copy, so a large random
 * model costs its size once); do not modify them afterwards. Closing releases nothing: the arrays
 * stay readable.
 */
public final class MemoryCheckpoint extends IndexedCheckpoint {

  private MemoryCheckpoint(final Path path, final TensorIndex tensors) {
    super(path, "memory", tensors, new OpenState(path));
  }

  /** A builder whose checkpoint reports the path {@code memory:<label>}. */
  public static Builder builder(final String label) {
    return new Builder(Path.of("memory:" + label));
  }

  /** A checkpoint with the same names, shapes and float32 values as {@code source}. */
  public static MemoryCheckpoint copyOf(final Checkpoint source) {
    final Builder b = new Builder(source.path());
    for (final String name : source.names()) {
      final CheckpointTensor t = source.tensor(name);
      b.put(name, t.shape(), t.toFloats());
    }
    return b.build();
  }

  /** Collects tensors in insertion order. */
  public static final class Builder {
    private final Path path;
    private final TensorIndex.Builder tensors;

    private Builder(final Path path) {
      this.path = path;
      this.tensors = TensorIndex.builder(path);
    }

    /**
     * Adds a float32 tensor.
     *
     * @param shape canonical shape (PyTorch order)
     * @param values C-order values, exactly {@code prod(shape)} of them; owned by the checkpoint
     * @throws IllegalArgumentException when the value count does not match the shape
     * @throws CheckpointException when the name is already taken
     */
    public Builder put(final String name, final long[] shape, final float[] values) {
      if (Shapes.numel(shape) != values.length) {
        throw new IllegalArgumentException(
            name
                + ": shape "
                + Shapes.str(shape)
                + " needs "
                + Shapes.numel(shape)
                + " values, got "
                + values.length);
      }
      tensors.add(new ArrayTensor(name, shape, values));
      return this;
    }

    /** The checkpoint. */
    public MemoryCheckpoint build() {
      return new MemoryCheckpoint(path, tensors.build());
    }
  }

  private static final class ArrayTensor extends BaseTensor {
    private final float[] values;

    ArrayTensor(final String name, final long[] shape, final float[] values) {
      super(name, shape, DType.F32);
      this.values = values;
    }

    @Override
    protected void read(
        final long offset, final float[] dst, final int dstOffset, final int count) {
      System.arraycopy(values, (int) offset, dst, dstOffset, count);
    }
  }
}
