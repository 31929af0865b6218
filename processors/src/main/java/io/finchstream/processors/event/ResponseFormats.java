package io.finchstream.processors.event;

import io.finchstream.engine.structured.GrammarCache;
import io.finchstream.engine.structured.JsonGrammar;
import io.finchstream.engine.structured.SchemaException;
import io.finchstream.engine.structured.TokenGrammar;
import io.finchstream.engine.structured.TokenTable;
import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.ResponseFormat;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The grammar a Generate's {@code response_format} asks for, compiled against the served
 * vocabulary. One {@link GrammarCache} per tokenizer in the JVM, built on the first structured
 * request (a World vocabulary's {@link TokenTable} takes ~0.1 s): the validator that admits a
 * Generate and the decoder that runs it (or resumes it after a crash) get the same {@link
 * TokenGrammar}, so its mask cache serves every request with the same format. Bounded by the cache
 * ({@value GrammarCache#DEFAULT_CAPACITY} grammars, least recently used dropped).
 */
public final class ResponseFormats {

  private static final Map<Tokenizer, GrammarCache> CACHES = new WeakHashMap<>();

  private ResponseFormats() {}

  /**
   * The grammar of {@code g}'s response format, or null for free text.
   *
   * @throws SchemaException when the schema is not JSON or outside the supported subset
   * @throws IllegalArgumentException when the format's type is unknown
   */
  public static TokenGrammar grammar(final Tokenizer tokenizer, final Generate g) {
    if (!g.hasResponseFormat()) {
      return null;
    }
    final ResponseFormat f = g.getResponseFormat();
    return switch (f.getType()) {
      case TYPE_UNSPECIFIED, TYPE_TEXT -> null;
      case TYPE_JSON_OBJECT -> cache(tokenizer).anyObject();
      case TYPE_JSON_SCHEMA -> cache(tokenizer).schema(f.getSchema(), f.getStrict());
      case TYPE_TOOL_CALL ->
          cache(tokenizer)
              .toolCall(
                  f.getFunctionsList().stream()
                      .map(
                          t ->
                              new JsonGrammar.Function(
                                  t.getName(),
                                  t.getParameters().isEmpty() ? null : t.getParameters(),
                                  t.getStrict()))
                      .toList());
      case UNRECOGNIZED ->
          throw new IllegalArgumentException(
              "response_format.type " + f.getTypeValue() + " is unknown to this version");
    };
  }

  private static GrammarCache cache(final Tokenizer tokenizer) {
    synchronized (CACHES) {
      return CACHES.computeIfAbsent(
          tokenizer, t -> new GrammarCache(TokenTable.of(t), GrammarCache.DEFAULT_CAPACITY));
    }
  }
}
