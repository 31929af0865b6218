package io.finchstream.engine.structured;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The byte-level recognizer: which texts are values, which are prefixes, which are neither. */
class JsonGrammarTest {

  /** -1: the bytes leave the grammar; 0: a proper prefix; 1: a complete value. */
  static int classify(final JsonGrammar grammar, final String text) {
    ParseState s = grammar.start();
    final Frame.Sink sink = new Frame.Sink();
    for (final byte b : text.getBytes(StandardCharsets.UTF_8)) {
      s = s.advance(b & 0xFF, sink);
      if (s == null) {
        return -1;
      }
    }
    return s.mayEnd() ? 1 : 0;
  }

  static int classifyBytes(final JsonGrammar grammar, final byte[] bytes) {
    ParseState s = grammar.start();
    final Frame.Sink sink = new Frame.Sink();
    for (final byte b : bytes) {
      s = s.advance(b & 0xFF, sink);
      if (s == null) {
        return -1;
      }
    }
    return s.mayEnd() ? 1 : 0;
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{}",
        "{\"a\":1}",
        " {\"a\" : [1, 2.5e-3, -0, \"x\\u00e9\\n\", true, false, null, {}]}",
        "{\"\":{\"b\":{\"c\":[[],[{}]]}}}",
        "{\"k\":\"\u00e9\u20ac\ud83d\ude00\"}",
        "{\"k\":1E+2}"
      })
  void shouldAcceptJsonObjects(final String text) {
    assertThat(classify(JsonGrammar.anyObject(), text)).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[]",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{\"a\":.5}",
        "{\"a\":+1}",
        "{\"a\":tru}x",
        "{'a':1}",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\ud800\"}",
        "{} ",
        "{}{}",
        "{\"a\":\"\t\"}"
      })
  void shouldRefuseWhatIsNotAJsonObject(final String text) {
    assertThat(classify(JsonGrammar.anyObject(), text)).isEqualTo(-1);
  }

  @Test
  void shouldTellPrefixesFromValues() {
    final JsonGrammar any = JsonGrammar.anyObject();
    assertThat(classify(any, "{\"a\":")).isZero();
    assertThat(classify(any, "{\"a\":12")).isZero();
    assertThat(classify(any, "")).isZero();
  }

  @Test
  void shouldRefuseInvalidUtf8InStrings() {
    final JsonGrammar any = JsonGrammar.anyObject();
    final byte[] overlong = {'{', '"', (byte) 0xC0, (byte) 0x80, '"', ':', '1', '}'};
    final byte[] surrogate = {'{', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', ':', '1', '}'};
    final byte[] cut = {'{', '"', (byte) 0xE2, (byte) 0x82, '"', ':', '1', '}'};
    final byte[] ok = {'{', '"', (byte) 0xE2, (byte) 0x82, (byte) 0xAC, '"', ':', '1', '}'};
    assertThat(classifyBytes(any, overlong)).isEqualTo(-1);
    assertThat(classifyBytes(any, surrogate)).isEqualTo(-1);
    assertThat(classifyBytes(any, cut)).isEqualTo(-1);
    assertThat(classifyBytes(any, ok)).isEqualTo(1);
  }

  @Test
  void shouldBoundWhitespaceRuns() {
    final JsonGrammar any = JsonGrammar.anyObject();
    final String ok = "{" + " ".repeat(Rule.MAX_WHITESPACE) + "}";
    final String tooMuch = "{" + " ".repeat(Rule.MAX_WHITESPACE + 1) + "}";
    assertThat(classify(any, ok)).isEqualTo(1);
    assertThat(classify(any, tooMuch)).isEqualTo(-1);
  }

  @Test
  void shouldFollowAStrictSchemaInPropertyOrder() {
    final JsonGrammar g =
        JsonGrammar.fromSchema(
            """
            {"type": "object", "additionalProperties": false, "required": ["name", "age", "tags"],
             "properties": {
               "name": {"type": "string"},
               "age": {"type": ["integer", "null"]},
               "tags": {"type": "array", "items": {"enum": ["a", "b", 12, 1]}}}}
            """,
            true);
    assertThat(classify(g, "{\"name\":\"x\",\"age\":3,\"tags\":[\"a\",12,1]}")).isEqualTo(1);
    assertThat(classify(g, "{\"name\": \"x\", \"age\": null, \"tags\": []}")).isEqualTo(1);
    assertThat(classify(g, "{\"age\":3,\"name\":\"x\",\"tags\":[]}")).isEqualTo(-1);
    assertThat(classify(g, "{\"name\":\"x\",\"age\":3.5,\"tags\":[]}")).isEqualTo(-1);
    assertThat(classify(g, "{\"name\":\"x\",\"age\":3,\"tags\":[\"c\"]}")).isEqualTo(-1);
    assertThat(classify(g, "{\"name\":\"x\",\"age\":3}")).isEqualTo(-1);
    assertThat(classify(g, "{\"name\":\"x\",\"age\":3,\"tags\":[],\"x\":1}")).isEqualTo(-1);
    assertThat(classify(g, "{\"name\":\"x\",\"age\":3,\"tags\":[13]}")).isEqualTo(-1);
    assertThat(g.minBytes()).isEqualTo("{\"name\":\"\",\"age\":0,\"tags\":[]}".length());
  }

  @Test
  void shouldSkipOptionalPropertiesOnlyWithoutStrict() {
    final JsonGrammar g =
        JsonGrammar.fromSchema(
            """
            {"type": "object", "required": ["b"],
             "properties": {"a": {"type": "boolean"}, "b": {"type": "number"},
                            "c": {"type": "null"}}}
            """,
            false);
    assertThat(classify(g, "{\"b\":1}")).isEqualTo(1);
    assertThat(classify(g, "{\"a\":true,\"b\":1,\"c\":null}")).isEqualTo(1);
    assertThat(classify(g, "{\"b\":1,\"c\":null}")).isEqualTo(1);
    assertThat(classify(g, "{\"a\":true}")).isEqualTo(-1);
    assertThat(classify(g, "{\"c\":null,\"b\":1}")).isEqualTo(-1);
  }

  @Test
  void shouldKeepAnyOfBranchesThatShareAPrefix() {
    final JsonGrammar g =
        JsonGrammar.fromSchema(
            """
            {"anyOf": [
              {"type": "object", "properties": {"k": {"type": "string"}, "x": {"type": "integer"}},
               "required": ["k", "x"], "additionalProperties": false},
              {"type": "object", "properties": {"k": {"type": "string"}, "y": {"type": "boolean"}},
               "required": ["k", "y"], "additionalProperties": false}]}
            """,
            false);
    assertThat(classify(g, "{\"k\":\"v\",\"x\":1}")).isEqualTo(1);
    assertThat(classify(g, "{\"k\":\"v\",\"y\":false}")).isEqualTo(1);
    assertThat(classify(g, "{\"k\":\"v\",\"x\":false}")).isEqualTo(-1);
  }

  @Test
  void shouldFollowRecursiveReferences() {
    final JsonGrammar g =
        JsonGrammar.fromSchema(
            """
            {"type": "object", "additionalProperties": false, "required": ["value", "children"],
             "properties": {"value": {"type": "integer"},
                            "children": {"type": "array", "items": {"$ref": "#"}}}}
            """,
            true);
    assertThat(classify(g, "{\"value\":1,\"children\":[{\"value\":2,\"children\":[]}]}"))
        .isEqualTo(1);
    assertThat(classify(g, "{\"value\":1,\"children\":[{\"value\":2}]}")).isEqualTo(-1);
  }

  @Test
  void shouldNeverEndANumberAtTheRootWhileItCanGrow() {
    final JsonGrammar g = JsonGrammar.fromSchema("{\"type\": \"number\"}", false);
    assertThat(classify(g, "12")).isEqualTo(1);
    assertThat(classify(g, "12.")).isZero();
    assertThat(classify(g, "12 ")).isEqualTo(-1);
  }
}
