package io.finchstream.engine.structured;

import java.util.Arrays;

/**
 * One entry of the recognizer's stack: a {@link Rule} and its position in the value being
 * generated. Immutable and persistent (a frame points to its parent, the frames below it), so a
 * stack is one reference and advancing by a byte shares everything below the top.
 *
 * <p>{@link #total} is the fewest bytes that complete the whole stack (this frame's cost plus its
 * parents'); {@link #depth} counts frames down to the root.
 */
final class Frame {

  final Rule rule;
  final int phase;
  final int aux;
  final int index;
  final Frame parent;
  final int depth;
  final int total;
  private final int hash;

  Frame(final Rule rule, final int phase, final int aux, final int index, final Frame parent) {
    this.rule = rule;
    this.phase = phase;
    this.aux = aux;
    this.index = index;
    this.parent = parent;
    this.depth = parent == null ? 0 : parent.depth + 1;
    this.total = Rule.plus(rule.cost(phase, aux, index), parent == null ? 0 : parent.total);
    int h = rule.id;
    h = 31 * h + phase;
    h = 31 * h + aux;
    h = 31 * h + index;
    this.hash = 31 * h + (parent == null ? 0 : parent.hash);
  }

  /** This frame moved to another position ({@code this} when nothing changes: no allocation). */
  Frame with(final int newPhase, final int newAux, final int newIndex) {
    return newPhase == phase && newAux == aux && newIndex == index
        ? this
        : new Frame(rule, newPhase, newAux, newIndex, parent);
  }

  /** Whether the whole stack may end here, before any further byte. */
  boolean mayEnd() {
    if (rule instanceof RootRule) {
      return phase == RootRule.DONE;
    }
    return rule.completeWithoutByte(this) && parent.mayEnd();
  }

  /** Whether the whole stack is complete and accepts no further byte. */
  boolean done() {
    return rule instanceof RootRule && phase == RootRule.DONE;
  }

  /** A hash of the whole stack (consistent with {@link #sameStack}). */
  int stackHash() {
    return hash;
  }

  /**
   * Whether {@code other} is the same stack: frame by frame the same rule and position. (Frames
   * keep identity semantics for {@code ==}: an unchanged frame is the same object.)
   */
  @SuppressWarnings("ReferenceEquality") // frames and rules by identity, as the comment says
  boolean sameStack(final Frame other) {
    if (other.hash != hash) {
      return false;
    }
    Frame a = this;
    Frame b = other;
    while (a != b) {
      if (a == null
          || b == null
          || a.rule != b.rule
          || a.phase != b.phase
          || a.aux != b.aux
          || a.index != b.index) {
        return false;
      }
      a = a.parent;
      b = b.parent;
    }
    return true;
  }

  /** Collects the stack tops one byte produces. Reusable; not thread-safe. */
  static final class Sink {
    private Frame[] frames = new Frame[4];
    private int size;

    void clear() {
      size = 0;
    }

    void add(final Frame f) {
      if (size == frames.length) {
        frames = Arrays.copyOf(frames, size * 2);
      }
      frames[size++] = f;
    }

    int size() {
      return size;
    }

    Frame get(final int i) {
      return frames[i];
    }
  }
}
