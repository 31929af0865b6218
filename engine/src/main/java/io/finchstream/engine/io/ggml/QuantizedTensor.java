package io.finchstream.engine.io.ggml;

import io.finchstream.engine.io.DType;
import io.finchstream.engine.io.Q8_0Rows;
import io.finchstream.engine.io.internal.BaseTensor;
import io.finchstream.engine.io.internal.OpenState;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * A Q5_1 or Q8_0 tensor in its stored layout, dequantized to float32 on read. Blocks of 32 elements
 * follow each other in C order (the contiguous dimension is a multiple of 32).
 */
final class QuantizedTensor extends BaseTensor {

  private static final int BLOCK = 32;

  private final GgmlType type;
  private final ByteBuffer data;
  private final OpenState open;

  QuantizedTensor(
      final String name,
      final long[] shape,
      final GgmlType type,
      final ByteBuffer data,
      final OpenState open) {
    super(name, shape, type.dtype);
    if (type.dtype != DType.Q5_1 && type.dtype != DType.Q8_0) {
      throw new IllegalArgumentException(type + " is not a supported quantization");
    }
    this.type = type;
    this.data = data.slice().order(ByteOrder.LITTLE_ENDIAN);
    this.open = open;
  }

  @Override
  public Optional<Q8_0Rows> q8_0Rows() {
    final long[] shape = shape();
    if (type != GgmlType.Q8_0 || shape.length != 2) {
      return Optional.empty();
    }
    final int blocksPerRow = (int) (shape[1] / BLOCK);
    return Optional.of(
        (row, quants, qOff, scales, sOff) -> {
          open.check(name());
          if (row < 0 || row >= shape[0]) {
            throw new IndexOutOfBoundsException(name() + ": row " + row + " of " + shape[0]);
          }
          for (int b = 0; b < blocksPerRow; b++) {
            final int at = (row * blocksPerRow + b) * type.blockBytes;
            scales[sOff + b] = data.getShort(at);
            data.get(at + 2, quants, qOff + b * BLOCK, BLOCK);
          }
        });
  }

  @Override
  protected void read(final long offset, final float[] dst, final int dstOffset, final int count) {
    open.check(name());
    final float[] block = new float[BLOCK];
    int done = 0;
    while (done < count) {
      final long e = offset + done;
      final int b = (int) (e / BLOCK);
      final int from = (int) (e % BLOCK);
      final int n = Math.min(BLOCK - from, count - done);
      final int at = b * type.blockBytes;
      if (type == GgmlType.Q5_1) {
        Q5_1Block.dequantize(block, data, at);
      } else {
        Q8_0Block.dequantize(block, data, at);
      }
      System.arraycopy(block, from, dst, dstOffset + done, n);
      done += n;
    }
  }
}
