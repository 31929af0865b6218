package io.finchstream.engine.structured;

/**
 * A JSON array of {@code items}, with {@code minItems}..{@code maxItems} elements. Phases: {@link
 * #START}, {@link #OPEN} (after {@code [}), {@link #ITEM} (after an element), {@link #COMMA};
 * {@code index} counts the elements so far, saturated at the largest bound that matters (so an
 * unbounded array has one state per phase, whatever its length); {@code aux} counts whitespace.
 */
final class ArrayRule extends Rule {

  static final int START = 0;
  static final int OPEN = 1;
  static final int ITEM = 2;
  static final int COMMA = 3;

  Rule items;
  final int minItems;
  final int maxItems; // -1: unbounded
  private final int cap;

  ArrayRule(final int id, final int minItems, final int maxItems) {
    super(id);
    this.minItems = minItems;
    this.maxItems = maxItems;
    this.cap = Math.max(minItems, Math.max(maxItems, 0));
  }

  private int count(final int n) {
    return Math.min(n, cap);
  }

  private boolean mayAdd(final int count) {
    return maxItems < 0 || count < maxItems;
  }

  @Override
  void push(final Frame parent, final int b, final Frame.Sink out) {
    if (parent.depth < MAX_DEPTH) {
      super.push(parent, b, out);
    }
  }

  @Override
  void feed(final Frame f, final int b, final Frame.Sink out) {
    switch (f.phase) {
      case START -> {
        if (b == '[') {
          out.add(f.with(OPEN, 0, 0));
        }
      }
      case OPEN -> {
        if (isWhitespace(b)) {
          whitespace(f, out);
        } else if (b == ']') {
          if (minItems == 0) {
            out.add(f.parent);
          }
        } else if (mayAdd(0)) {
          items.push(f.with(ITEM, 0, count(1)), b, out);
        }
      }
      case ITEM -> {
        if (isWhitespace(b)) {
          whitespace(f, out);
        } else if (b == ',' && mayAdd(f.index)) {
          out.add(f.with(COMMA, 0, f.index));
        } else if (b == ']' && f.index >= minItems) {
          out.add(f.parent);
        }
      }
      default -> {
        if (isWhitespace(b)) {
          whitespace(f, out);
        } else {
          items.push(f.with(ITEM, 0, count(f.index + 1)), b, out);
        }
      }
    }
  }

  /** Fewest bytes for {@code n} more elements, each after a comma, then {@code ]}. */
  private int more(final int n) {
    return plus(times(n, plus(items.minBytes, 1)), 1);
  }

  @Override
  int cost(final int phase, final int aux, final int index) {
    return switch (phase) {
      case START -> minBytes;
      case OPEN -> minItems == 0 ? 1 : plus(items.minBytes, more(minItems - 1));
      case ITEM -> more(Math.max(0, minItems - index));
      default -> plus(items.minBytes, more(Math.max(0, minItems - index - 1)));
    };
  }

  @Override
  boolean updateMinBytes() {
    final int min = plus(1, cost(OPEN, 0, 0));
    final boolean changed = min != minBytes;
    minBytes = min;
    return changed;
  }
}
