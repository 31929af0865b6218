package io.finchstream.engine.structured;

import java.util.Arrays;

/**
 * Where the recognizer is after some bytes: the set of stacks (their top {@link Frame}s) that can
 * still become a valid value. Usually one; more only while an {@code anyOf} (or {@code type} list)
 * has several alternatives that agree on the bytes so far. Immutable, so it can key the mask cache;
 * equal states have equal futures.
 */
final class ParseState {

  /** Most stacks kept alive at once; more are dropped (each kept one can still complete). */
  static final int MAX_ALTERNATIVES = 256;

  private final Frame[] tops; // distinct
  private final int hash;

  /** Fewest bytes that complete the value from here (0: it may end now). */
  final int minBytes;

  private ParseState(final Frame[] tops) {
    this.tops = tops;
    int h = 0;
    int min = Rule.UNREACHABLE;
    for (final Frame f : tops) {
      h += f.stackHash() * 0x9E3779B9; // order-independent
      min = Math.min(min, f.total);
    }
    this.hash = h;
    this.minBytes = min;
  }

  /** The state before the first byte of a value of {@code root}. */
  static ParseState start(final RootRule root) {
    return new ParseState(new Frame[] {new Frame(root, RootRule.START, 0, 0, null)});
  }

  /**
   * The state after byte {@code b} (0..255), or null when {@code b} is not allowed here. Returns
   * {@code this} when the byte does not change the state (e.g. plain text inside a string).
   */
  ParseState advance(final int b, final Frame.Sink sink) {
    sink.clear();
    for (final Frame top : tops) {
      top.rule.feed(top, b, sink);
    }
    final int n = sink.size();
    if (n == 1) {
      final Frame f = sink.get(0);
      if (f.total >= Rule.UNREACHABLE) {
        return null; // a dead end: no finite completion
      }
      return tops.length == 1 && f == tops[0] ? this : new ParseState(new Frame[] {f});
    }
    if (n == 0) {
      return null;
    }
    final Frame[] distinct = new Frame[Math.min(n, MAX_ALTERNATIVES)];
    int size = 0;
    outer:
    for (int i = 0; i < n && size < distinct.length; i++) {
      final Frame f = sink.get(i);
      if (f.total >= Rule.UNREACHABLE) {
        continue; // a dead end: no finite completion
      }
      for (int j = 0; j < size; j++) {
        if (distinct[j].sameStack(f)) {
          continue outer;
        }
      }
      distinct[size++] = f;
    }
    if (size == 0) {
      return null;
    }
    return new ParseState(size == distinct.length ? distinct : Arrays.copyOf(distinct, size));
  }

  /** Whether the output may end here (end of text allowed). */
  boolean mayEnd() {
    for (final Frame f : tops) {
      if (f.mayEnd()) {
        return true;
      }
    }
    return false;
  }

  /** Whether the value is complete and nothing may follow. */
  boolean done() {
    for (final Frame f : tops) {
      if (!f.done()) {
        return false;
      }
    }
    return true;
  }

  /** The top of the only stack, or null when there are several. */
  Frame single() {
    return tops.length == 1 ? tops[0] : null;
  }

  /** The state of exactly this stack. */
  static ParseState of(final Frame top) {
    return new ParseState(new Frame[] {top});
  }

  /** Number of alternative stacks. */
  int alternatives() {
    return tops.length;
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public boolean equals(final Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ParseState other)
        || other.hash != hash
        || other.tops.length != tops.length) {
      return false;
    }
    outer:
    for (final Frame f : tops) {
      for (final Frame g : other.tops) {
        if (f.sameStack(g)) {
          continue outer;
        }
      }
      return false;
    }
    return true;
  }
}
