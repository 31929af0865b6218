package io.finchstream.engine.io.internal;

import io.finchstream.engine.io.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;

/**
 * A C-contiguous little-endian F32, F16 or BF16 tensor over a (mapped) byte buffer, decoded to
 * float32 on read: F16 is IEEE half, BF16 is the high 16 bits of a float32 (finch-math §2.8).
 */
public final class DenseTensor extends BaseTensor {

  private static final int CHUNK = 4096;

  private final ByteBuffer data;
  private final OpenState open;

  /**
   * @param data exactly {@code numel * bytes(type)} bytes; any byte order (read as little-endian)
   */
  public DenseTensor(
      final String name,
      final long[] shape,
      final DType type,
      final ByteBuffer data,
      final OpenState open) {
    super(name, shape, type);
    final long want = numel() * bytesPerElement(type);
    if (data.remaining() != want) {
      throw new IllegalArgumentException(
          name + ": " + data.remaining() + " bytes of data for " + want + " expected");
    }
    this.data = data.slice().order(ByteOrder.LITTLE_ENDIAN);
    this.open = open;
  }

  /** Bytes per element of a dense dtype. */
  public static int bytesPerElement(final DType type) {
    return switch (type) {
      case F32 -> 4;
      case F16, BF16 -> 2;
      default -> throw new IllegalArgumentException(type + " is not a dense element type");
    };
  }

  @Override
  protected void read(final long offset, final float[] dst, final int dstOffset, final int count) {
    open.check(name());
    final int width = bytesPerElement(storedType());
    final ByteBuffer bytes =
        data.slice((int) offset * width, count * width).order(ByteOrder.LITTLE_ENDIAN);
    if (storedType() == DType.F32) {
      bytes.asFloatBuffer().get(dst, dstOffset, count);
      return;
    }
    final ShortBuffer halves = bytes.asShortBuffer();
    final short[] chunk = new short[Math.min(CHUNK, count)];
    final boolean bf16 = storedType() == DType.BF16;
    for (int done = 0; done < count; ) {
      final int n = Math.min(chunk.length, count - done);
      halves.get(chunk, 0, n);
      for (int i = 0; i < n; i++) {
        dst[dstOffset + done + i] = bf16 ? bf16ToFloat(chunk[i]) : Float.float16ToFloat(chunk[i]);
      }
      done += n;
    }
  }

  /** bfloat16 bits to float32: the 16 bits become the high half. */
  public static float bf16ToFloat(final short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }
}
