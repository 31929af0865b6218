package io.finchstream.engine.structured;

/**
 * The bottom of every stack: optional leading whitespace, then one value; the output ends right
 * after the value (no trailing whitespace: generation stops there).
 */
final class RootRule extends Rule {

  /** Before the value ({@code aux} = whitespace so far). */
  static final int START = 0;

  /** The value is complete (or, while a child frame is above, in progress). */
  static final int DONE = 1;

  Rule value;

  RootRule(final int id) {
    super(id);
  }

  @Override
  void feed(final Frame f, final int b, final Frame.Sink out) {
    if (f.phase != START) {
      return;
    }
    if (isWhitespace(b)) {
      whitespace(f, out);
    } else {
      value.push(f.with(DONE, 0, 0), b, out);
    }
  }

  @Override
  int cost(final int phase, final int aux, final int index) {
    return phase == START ? value.minBytes : 0;
  }

  @Override
  boolean updateMinBytes() {
    final int before = minBytes;
    minBytes = value.minBytes;
    return minBytes != before;
  }
}
