package io.finchstream.engine.io.internal;

import io.finchstream.engine.io.CheckpointTensor;
import io.finchstream.engine.io.DType;
import java.util.Objects;

/**
 * Name, canonical shape and stored type of a tensor, plus the range checks of {@link #readFloats};
 * subclasses only decode.
 */
public abstract class BaseTensor implements CheckpointTensor {

  private final String name;
  private final long[] shape;
  private final DType storedType;
  private final long numel;

  protected BaseTensor(final String name, final long[] shape, final DType storedType) {
    this.name = Objects.requireNonNull(name, "name");
    this.shape = shape.clone();
    this.storedType = Objects.requireNonNull(storedType, "storedType");
    this.numel = Shapes.numel(shape);
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final long[] shape() {
    return shape.clone();
  }

  @Override
  public final DType storedType() {
    return storedType;
  }

  @Override
  public final long numel() {
    return numel;
  }

  @Override
  public final void readFloats(
      final long offset, final float[] dst, final int dstOffset, final int count) {
    if (offset < 0 || count < 0 || offset > numel - count) {
      throw new IndexOutOfBoundsException(
          name
              + ": elements ["
              + offset
              + ", "
              + (offset + count)
              + ") outside [0, "
              + numel
              + ")");
    }
    Objects.checkFromIndexSize(dstOffset, count, dst.length);
    read(offset, dst, dstOffset, count);
  }

  /** Decodes elements {@code [offset, offset + count)} (already range-checked). */
  protected abstract void read(long offset, float[] dst, int dstOffset, int count);

  @Override
  public String toString() {
    return name + " " + Shapes.str(shape) + " " + storedType;
  }
}
