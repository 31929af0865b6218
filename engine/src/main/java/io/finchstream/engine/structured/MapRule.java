package io.finchstream.engine.structured;

/**
 * A JSON object with any property names and values of one rule: {@code json_object} (any values),
 * or a non-strict schema's {@code additionalProperties} without {@code properties}. Phases as
 * {@link ObjectRule}'s, the name being a {@link StringRule} child: {@link #START}, {@link #OPEN},
 * {@link #AFTER_KEY} (from the name's opening quote on), {@link #COLON}, {@link #VALUE}, {@link
 * #COMMA}; {@code aux} counts whitespace.
 */
final class MapRule extends Rule {

  static final int START = 0;
  static final int OPEN = 1;
  static final int AFTER_KEY = 2;
  static final int COLON = 3;
  static final int VALUE = 4;
  static final int COMMA = 5;

  private final StringRule names;
  Rule values;

  MapRule(final int id, final StringRule names) {
    super(id);
    this.names = names;
    minBytes = 2;
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
        if (b == '{') {
          out.add(f.with(OPEN, 0, 0));
        }
      }
      case OPEN, COMMA -> {
        if (isWhitespace(b)) {
          whitespace(f, out);
        } else if (b == '}' && f.phase == OPEN) {
          out.add(f.parent);
        } else if (b == '"') {
          names.push(f.with(AFTER_KEY, 0, 0), b, out);
        }
      }
      case AFTER_KEY -> {
        if (isWhitespace(b)) {
          whitespace(f, out);
        } else if (b == ':') {
          out.add(f.with(COLON, 0, 0));
        }
      }
      case COLON -> {
        if (isWhitespace(b)) {
          whitespace(f, out);
        } else {
          values.push(f.with(VALUE, 0, 0), b, out);
        }
      }
      default -> {
        if (isWhitespace(b)) {
          whitespace(f, out);
        } else if (b == ',') {
          out.add(f.with(COMMA, 0, 0));
        } else if (b == '}') {
          out.add(f.parent);
        }
      }
    }
  }

  @Override
  int cost(final int phase, final int aux, final int index) {
    final int value = values.minBytes;
    return switch (phase) {
      case START -> 2;
      case OPEN, VALUE -> 1;
      case AFTER_KEY -> plus(2, value); // : value }
      case COLON -> plus(1, value); // value }
      default -> plus(4, value); // "" : value }
    };
  }

  @Override
  boolean updateMinBytes() {
    return false; // {} whatever the values
  }
}
