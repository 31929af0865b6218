package io.finchstream.engine.structured;

/**
 * A {@code $ref}: the value of another rule, resolved after it is compiled (so a schema may refer
 * to itself). Never a frame itself.
 */
final class RefRule extends Rule {

  Rule target;

  RefRule(final int id) {
    super(id);
  }

  @Override
  void push(final Frame parent, final int b, final Frame.Sink out) {
    target.push(parent, b, out);
  }

  @Override
  void feed(final Frame f, final int b, final Frame.Sink out) {
    throw new IllegalStateException("a reference is never on the stack");
  }

  @Override
  int cost(final int phase, final int aux, final int index) {
    return minBytes;
  }

  @Override
  boolean updateMinBytes() {
    final boolean changed = target.minBytes != minBytes;
    minBytes = target.minBytes;
    return changed;
  }
}
