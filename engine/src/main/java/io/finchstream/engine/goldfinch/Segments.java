package io.finchstream.engine.goldfinch;

/**
 * The rows of one pass: segment {@code g} is rows {@code [rowStart[g], rowStart[g] + rowCount[g])},
 * consecutive positions of {@code states[g]}.
 *
 * @param rows total rows
 */
@SuppressWarnings("ArrayRecordComponent") // read by index, never compared or hashed
record Segments(GoldFinchState[] states, int[] rowStart, int[] rowCount, int rows) {

  /** Number of segments. */
  int count() {
    return states.length;
  }

  /** The last row of segment g. */
  int lastRow(final int g) {
    return rowStart[g] + rowCount[g] - 1;
  }
}
