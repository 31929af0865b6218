package io.finchstream.engine.structured;

import java.util.List;

/**
 * A value of any of several rules ({@code anyOf}, a {@code type} list, or any JSON value): its
 * first byte starts every alternative, and each that accepts it lives on as its own stack. Never a
 * frame itself.
 */
final class UnionRule extends Rule {

  private Rule[] alternatives = new Rule[0];

  UnionRule(final int id) {
    super(id);
  }

  void set(final List<Rule> rules) {
    alternatives = rules.toArray(new Rule[0]);
  }

  /** The alternatives. */
  List<Rule> alternatives() {
    return List.of(alternatives);
  }

  @Override
  void push(final Frame parent, final int b, final Frame.Sink out) {
    for (final Rule r : alternatives) {
      r.push(parent, b, out);
    }
  }

  @Override
  void feed(final Frame f, final int b, final Frame.Sink out) {
    throw new IllegalStateException("a union is never on the stack");
  }

  @Override
  int cost(final int phase, final int aux, final int index) {
    return minBytes;
  }

  @Override
  boolean updateMinBytes() {
    int min = UNREACHABLE;
    for (final Rule r : alternatives) {
      min = Math.min(min, r.minBytes);
    }
    final boolean changed = min != minBytes;
    minBytes = min;
    return changed;
  }
}
