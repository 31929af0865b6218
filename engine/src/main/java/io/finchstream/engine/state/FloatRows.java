package io.finchstream.engine.state;

/** Copies of the per-layer float rows a state holds ({@code [layers][…]}). */
public final class FloatRows {

  private FloatRows() {}

  /** An independent copy: every row cloned. */
  public static float[][] copy(final float[][] rows) {
    final float[][] out = new float[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      out[i] = rows[i].clone();
    }
    return out;
  }
}
