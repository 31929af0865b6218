package io.finchstream.engine.state;

import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.tensor.Bf16;
import java.nio.ByteBuffer;

/**
 * Reads the body of a state after its header was checked ({@link StateFormat#reader}), in the order
 * it was written.
 */
public final class StateReader {

  private final ByteBuffer buf;
  private final StatePrecision precision;

  StateReader(final ByteBuffer buf, final StatePrecision precision) {
    this.buf = buf;
    this.precision = precision;
  }

  /** The precision the WKV matrices were stored at. */
  public StatePrecision precision() {
    return precision;
  }

  /** An int64. */
  public long getLong() {
    return buf.getLong();
  }

  /** A float32 vector into {@code values} (all of it). */
  public void floats(final float[] values) {
    buf.asFloatBuffer().get(values);
    buf.position(buf.position() + 4 * values.length);
  }

  /** A WKV matrix stored at the state's precision, widened to float32, into {@code values}. */
  public void wkv(final float[] values) {
    if (precision == StatePrecision.BF16) {
      for (int i = 0; i < values.length; i++) {
        values[i] = Bf16.toFloat(buf.getShort());
      }
    } else {
      floats(values);
    }
  }
}
