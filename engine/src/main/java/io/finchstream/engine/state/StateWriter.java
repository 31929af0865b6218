package io.finchstream.engine.state;

import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.tensor.Bf16;
import java.nio.ByteBuffer;

/** Writes the body of a state after its header ({@link StateFormat#writer}), little-endian. */
public final class StateWriter {

  private final byte[] bytes;
  private final ByteBuffer buf;
  private final StatePrecision precision;

  /** {@code buf} writes into {@code bytes}, the whole state. */
  StateWriter(final byte[] bytes, final ByteBuffer buf, final StatePrecision precision) {
    this.bytes = bytes;
    this.buf = buf;
    this.precision = precision;
  }

  /** An int64 (e.g. a position). */
  public StateWriter putLong(final long value) {
    buf.putLong(value);
    return this;
  }

  /** A float32 vector. */
  public StateWriter floats(final float[] values) {
    buf.asFloatBuffer().put(values);
    buf.position(buf.position() + 4 * values.length);
    return this;
  }

  /** A WKV matrix at the state's precision: float32, or bfloat16 rounded to nearest even. */
  public StateWriter wkv(final float[] values) {
    if (precision == StatePrecision.BF16) {
      for (final float v : values) {
        buf.putShort(Bf16.fromFloat(v));
      }
    } else {
      floats(values);
    }
    return this;
  }

  /** The serialized state (the whole buffer). */
  public byte[] bytes() {
    return bytes;
  }
}
