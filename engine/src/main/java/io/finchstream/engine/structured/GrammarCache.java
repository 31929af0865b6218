package io.finchstream.engine.structured;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@link TokenGrammar}s of one vocabulary, compiled once per response format and kept for the
 * requests that use it again (their mask caches are what makes a repeated schema cheap). Bounded:
 * at most {@code capacity} grammars, the least recently used dropped first. Thread-safe.
 */
public final class GrammarCache {

  /** Default number of grammars kept. */
  public static final int DEFAULT_CAPACITY = 64;

  private final TokenTable table;
  private final int capacity;
  private final Map<Key, TokenGrammar> grammars;
  private final TokenGrammar anyObject;

  /** What identifies a compiled grammar. */
  private record Key(String kind, String text, boolean strict) {}

  /** A cache over {@code table}'s vocabulary keeping at most {@code capacity} grammars. */
  public GrammarCache(final TokenTable table, final int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
    }
    this.table = Objects.requireNonNull(table, "table");
    this.capacity = capacity;
    this.grammars = new LinkedHashMap<>(16, 0.75f, true);
    this.anyObject = new TokenGrammar(JsonGrammar.anyObject(), table);
  }

  /** The vocabulary. */
  public TokenTable table() {
    return table;
  }

  /** {@code json_object} (always kept). */
  public TokenGrammar anyObject() {
    return anyObject;
  }

  /**
   * The grammar of a JSON schema (text), compiled on first use.
   *
   * @throws SchemaException when the schema is outside the subset (not cached)
   */
  public TokenGrammar schema(final String schema, final boolean strict) {
    return get(new Key("schema", schema, strict), () -> JsonGrammar.fromSchema(schema, strict));
  }

  /**
   * The grammar of one call of {@code functions} ({@link JsonGrammar#toolCall}), compiled on first
   * use.
   *
   * @throws SchemaException when a function's parameters are outside the subset (not cached)
   */
  public TokenGrammar toolCall(final List<JsonGrammar.Function> functions) {
    return get(new Key("tool", functions.toString(), false), () -> JsonGrammar.toolCall(functions));
  }

  /** Grammars kept now. */
  public synchronized int size() {
    return grammars.size();
  }

  /** Compiles a grammar (a named interface: a compile step that may refuse the schema). */
  private interface Compile {
    JsonGrammar run();
  }

  private TokenGrammar get(final Key key, final Compile compile) {
    synchronized (this) {
      final TokenGrammar hit = grammars.get(key);
      if (hit != null) {
        return hit;
      }
    }
    final TokenGrammar compiled = new TokenGrammar(compile.run(), table); // outside the lock
    synchronized (this) {
      final TokenGrammar raced = grammars.putIfAbsent(key, compiled);
      if (grammars.size() > capacity) {
        final Key eldest = grammars.keySet().iterator().next();
        grammars.remove(eldest);
      }
      return raced != null ? raced : compiled;
    }
  }
}
