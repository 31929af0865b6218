package io.finchstream.engine.testing;

import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.CheckpointTensor;
import io.finchstream.engine.io.DType;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** A {@link Checkpoint} held in memory (float32 values under canonical names), for tests. */
public final class InMemoryCheckpoint implements Checkpoint {

  /** One tensor: canonical shape and C-order values. */
  public record Tensor(String name, long[] shape, float[] values) implements CheckpointTensor {

    @Override
    public DType storedType() {
      return DType.F32;
    }

    @Override
    public void readFloats(final long offset, final float[] dst, final int dstOffset, final int count) {
      System.arraycopy(values, Math.toIntExact(offset), dst, dstOffset, count);
    }
  }

  private final Path path;
  private final Map<String, Tensor> tensors;

  public InMemoryCheckpoint(final Path path, final Map<String, Tensor> tensors) {
    this.path = path;
    this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
  }

  /** A copy with one tensor replaced or added. */
  public InMemoryCheckpoint with(final String name, final long[] shape, final float[] values) {
    final Map<String, Tensor> copy = new LinkedHashMap<>(tensors);
    copy.put(name, new Tensor(name, shape, values));
    return new InMemoryCheckpoint(path, copy);
  }

  /** A copy without one tensor. */
  public InMemoryCheckpoint without(final String name) {
    final Map<String, Tensor> copy = new LinkedHashMap<>(tensors);
    copy.remove(name);
    return new InMemoryCheckpoint(path, copy);
  }

  @Override
  public Path path() {
    return path;
  }

  @Override
  public String format() {
    return "memory";
  }

  @Override
  public Set<String> names() {
    return tensors.keySet();
  }

  @Override
  public CheckpointTensor tensor(final String name) {
    final Tensor t = tensors.get(name);
    if (t == null) {
      throw new CheckpointException(path, "no tensor '" + name + "'");
    }
    return t;
  }

  @Override
  public void close() {}
}
