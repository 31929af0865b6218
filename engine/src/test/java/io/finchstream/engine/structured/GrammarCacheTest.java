package io.finchstream.engine.structured;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.tokenizer.ByteTokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

class GrammarCacheTest {

  private static final String SCHEMA =
      "{\"type\": \"object\", \"additionalProperties\": false, \"required\": [\"a\"],"
          + " \"properties\": {\"a\": {\"type\": \"integer\"}}}";

  @Test
  void shouldCompileAFormatOnceAndDropTheLeastRecentlyUsedPastItsCapacity() {
    final GrammarCache cache = new GrammarCache(TokenTable.of(ByteTokenizer.INSTANCE), 2);
    final TokenGrammar strict = cache.schema(SCHEMA, true);
    assertThat(cache.schema(SCHEMA, true)).isSameAs(strict);
    assertThat(cache.schema(SCHEMA, false)).isNotSameAs(strict);
    final TokenGrammar call = cache.toolCall(List.of(new JsonGrammar.Function("f", null, false)));
    assertThat(cache.size()).isEqualTo(2);
    assertThat(cache.toolCall(List.of(new JsonGrammar.Function("f", null, false)))).isSameAs(call);
    assertThat(cache.schema(SCHEMA, true)).isNotSameAs(strict); // it was the eldest: dropped
    assertThat(cache.anyObject()).isSameAs(cache.anyObject());
  }

  @Test
  void shouldNotKeepARefusedSchema() {
    final GrammarCache cache = new GrammarCache(TokenTable.of(ByteTokenizer.INSTANCE), 4);
    assertThatThrownBy(() -> cache.schema("{\"type\": \"string\", \"pattern\": \"a\"}", false))
        .isInstanceOf(SchemaException.class);
    assertThat(cache.size()).isZero();
  }
}
