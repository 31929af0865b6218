package io.finchstream.engine.io.internal;

import io.finchstream.engine.io.CheckpointTensor;

/**
 * A stored tensor seen under another shape with the same C-order elements, e.g. a squeezed {@code
 * [C]} vector presented as the canonical {@code [1, 1, C]}.
 */
public final class ReshapedTensor extends BaseTensor {

  private final CheckpointTensor stored;

  public ReshapedTensor(final long[] shape, final CheckpointTensor stored) {
    super(stored.name(), shape, stored.storedType());
    if (numel() != stored.numel()) {
      throw new IllegalArgumentException(
          stored.name()
              + ": cannot view "
              + Shapes.str(stored.shape())
              + " as "
              + Shapes.str(shape));
    }
    this.stored = stored;
  }

  @Override
  protected void read(final long offset, final float[] dst, final int dstOffset, final int count) {
    stored.readFloats(offset, dst, dstOffset, count);
  }
}
