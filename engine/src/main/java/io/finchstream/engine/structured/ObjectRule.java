package io.finchstream.engine.structured;

/**
 * A JSON object with declared properties, written in the schema's order (as OpenAI's structured
 * outputs do), each name in its canonical JSON form; required ones always, optional ones (only in
 * non-strict schemas) possibly skipped; never a property that is not declared.
 *
 * <p>Phases ({@code aux} counts whitespace except in {@link #KEY}):
 *
 * <ul>
 *   <li>{@link #START}: before the opening brace.
 *   <li>{@link #OPEN}: after the opening brace.
 *   <li>{@link #KEY}: inside a property name; {@code index} = the first candidate property whose
 *       name matches the bytes so far, {@code aux} = bytes of the name (with its quotes) so far.
 *   <li>{@link #AFTER_KEY}, {@link #COLON}: after the name / the colon of property {@code index}.
 *   <li>{@link #VALUE}: after the value of property {@code index}.
 *   <li>{@link #COMMA}: after a comma; {@code index} = the next property that may come.
 * </ul>
 *
 * The candidates for the next name, from property {@code next} on, are {@code next} .. {@code
 * limit[next]}: up to and including the first required one (all of the rest if none).
 */
final class ObjectRule extends Rule {

  static final int START = 0;
  static final int OPEN = 1;
  static final int KEY = 2;
  static final int AFTER_KEY = 3;
  static final int COLON = 4;
  static final int VALUE = 5;
  static final int COMMA = 6;

  private final byte[][] keys; // (n) "name" in canonical JSON, quotes included
  final Rule[] values; // (n)
  private final int[] limit; // (n) last candidate when the next property may be index i
  private final boolean[] requiredFrom; // (n + 1) some property >= i is required
  private final int[] fromNext; // (n + 1) fewest bytes: a property from i on, then the rest, then }
  private final int[] afterValue; // (n) fewest bytes after the value of property i

  ObjectRule(final int id, final byte[][] keys, final Rule[] values, final boolean[] required) {
    super(id);
    final int n = keys.length;
    this.keys = keys;
    this.values = values;
    this.limit = new int[n];
    this.requiredFrom = new boolean[n + 1];
    this.fromNext = new int[n + 1];
    this.afterValue = new int[n];
    int nextRequired = n - 1;
    for (int i = n - 1; i >= 0; i--) {
      requiredFrom[i] = required[i] || requiredFrom[i + 1];
      if (required[i]) {
        nextRequired = i;
      }
      limit[i] = nextRequired;
    }
  }

  @Override
  void push(final Frame parent, final int b, final Frame.Sink out) {
    if (parent.depth < MAX_DEPTH) {
      super.push(parent, b, out);
    }
  }

  @Override
  void feed(final Frame f, final int b, final Frame.Sink out) {
    final int n = keys.length;
    switch (f.phase) {
      case START -> {
        if (b == '{') {
          out.add(f.with(OPEN, 0, 0));
        }
      }
      case OPEN, COMMA -> {
        if (isWhitespace(b)) {
          whitespace(f, out);
        } else if (b == '}' && f.phase == OPEN && !requiredFrom[0]) {
          out.add(f.parent);
        } else if (b == '"' && f.index < n) {
          out.add(f.with(KEY, 1, f.index));
        }
      }
      case KEY -> key(f, b, out);
      case AFTER_KEY -> {
        if (isWhitespace(b)) {
          whitespace(f, out);
        } else if (b == ':') {
          out.add(f.with(COLON, 0, f.index));
        }
      }
      case COLON -> {
        if (isWhitespace(b)) {
          whitespace(f, out);
        } else {
          values[f.index].push(f.with(VALUE, 0, f.index), b, out);
        }
      }
      default -> {
        if (isWhitespace(b)) {
          whitespace(f, out);
        } else if (b == ',' && f.index + 1 < n) {
          out.add(f.with(COMMA, 0, f.index + 1));
        } else if (b == '}' && !requiredFrom[f.index + 1]) {
          out.add(f.parent);
        }
      }
    }
  }

  /** Byte {@code b} of a name: the first candidate from {@code f.index} on that still matches. */
  private void key(final Frame f, final int b, final Frame.Sink out) {
    final int k = f.aux;
    final byte[] current = keys[f.index];
    for (int j = f.index; j <= limit[f.index]; j++) {
      final byte[] key = keys[j];
      if (key.length > k && (key[k] & 0xFF) == b && samePrefix(current, key, k)) {
        out.add(k + 1 == key.length ? f.with(AFTER_KEY, 0, j) : f.with(KEY, k + 1, j));
        return;
      }
    }
  }

  private static boolean samePrefix(final byte[] a, final byte[] b, final int k) {
    if (a.length < k || b.length < k) {
      return false;
    }
    for (int i = 0; i < k; i++) {
      if (a[i] != b[i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  int cost(final int phase, final int aux, final int index) {
    return switch (phase) {
      case START -> minBytes;
      case OPEN -> requiredFrom[0] ? fromNext[0] : 1;
      case KEY -> keyCost(aux, index);
      case AFTER_KEY -> plus(1, plus(values[index].minBytes, afterValue[index]));
      case COLON -> plus(values[index].minBytes, afterValue[index]);
      case VALUE -> afterValue[index];
      default -> fromNext[index];
    };
  }

  /** Fewest bytes from inside a name: the cheapest candidate that matches the bytes so far. */
  private int keyCost(final int k, final int first) {
    int best = UNREACHABLE;
    final byte[] current = keys[first];
    for (int j = first; j <= limit[first]; j++) {
      if (samePrefix(current, keys[j], k)) {
        best =
            Math.min(best, plus(keys[j].length - k + 1, plus(values[j].minBytes, afterValue[j])));
      }
    }
    return best;
  }

  @Override
  boolean updateMinBytes() {
    final int n = keys.length;
    fromNext[n] = UNREACHABLE;
    for (int i = n - 1; i >= 0; i--) {
      afterValue[i] = requiredFrom[i + 1] ? plus(1, fromNext[i + 1]) : 1;
      int best = UNREACHABLE;
      for (int j = i; j <= limit[i]; j++) {
        best = Math.min(best, plus(keys[j].length + 1, plus(values[j].minBytes, afterValue[j])));
      }
      fromNext[i] = best;
    }
    final int min = plus(1, cost(OPEN, 0, 0));
    final boolean changed = min != minBytes;
    minBytes = min;
    return changed;
  }
}
