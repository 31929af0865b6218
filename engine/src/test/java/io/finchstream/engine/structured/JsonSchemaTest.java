package io.finchstream.engine.structured;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.EngineException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** What the schema compiler accepts, and how it refuses the rest: by keyword and place. */
class JsonSchemaTest {

  private static final String OK_STRING = "{\"type\": \"string\"}";

  /** A strict object with one property {@code p} whose schema is {@code property}. */
  private static String withProperty(final String property) {
    return "{\"type\": \"object\", \"additionalProperties\": false, \"required\": [\"p\"],"
        + " \"properties\": {\"p\": "
        + property
        + "}}";
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "pattern:\"^a$\"",
        "format:\"date-time\"",
        "minLength:1",
        "maxLength:3",
        "minimum:0",
        "maximum:9",
        "exclusiveMinimum:0",
        "exclusiveMaximum:9",
        "multipleOf:2",
        "allOf:[]",
        "oneOf:[]",
        "not:{}",
        "if:{}",
        "then:{}",
        "else:{}",
        "patternProperties:{}",
        "propertyNames:{}",
        "minProperties:1",
        "maxProperties:1",
        "unevaluatedProperties:false",
        "prefixItems:[]",
        "uniqueItems:true",
        "contains:{}",
        "dependentRequired:{}",
        "nullable:true",
        "$id:\"x\"",
        "$anchor:\"a\"",
        "x-custom:1"
      })
  void shouldRefuseEveryUnsupportedKeywordByName(final String keywordAndValue) {
    final int colon = keywordAndValue.indexOf(':');
    final String keyword = keywordAndValue.substring(0, colon);
    final String schema =
        withProperty(
            "{\"type\": \"string\", \""
                + keyword
                + "\": "
                + keywordAndValue.substring(colon + 1)
                + "}");
    for (final boolean strict : new boolean[] {true, false}) {
      assertThatThrownBy(() -> JsonGrammar.fromSchema(schema, strict))
          .isInstanceOf(SchemaException.class)
          .isInstanceOf(EngineException.class)
          .hasMessageContaining("'" + keyword + "' is not supported")
          .satisfies(
              e -> {
                assertThat(((SchemaException) e).keyword()).isEqualTo(keyword);
                assertThat(((SchemaException) e).pointer()).isEqualTo("/properties/p");
              });
    }
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        // OpenAI's strict-mode rules
        "{\"type\": \"object\", \"properties\": {}} | additionalProperties | ",
        "{\"type\": \"object\", \"additionalProperties\": true, \"properties\": {}}"
            + " | additionalProperties | ",
        "{\"type\": \"object\", \"additionalProperties\": false, \"properties\": {\"a\":"
            + " {\"type\": \"string\"}}} | required | ",
        "{\"anyOf\": [{\"type\": \"object\"}]} | anyOf | ",
        "{\"type\": \"string\"} | type | ",
        "{\"type\": \"object\", \"additionalProperties\": false, \"required\": [\"a\"],"
            + " \"properties\": {\"a\": {}}} | type | /properties/a",
        "{\"type\": \"object\", \"additionalProperties\": false, \"required\": [\"a\"],"
            + " \"properties\": {\"a\": {\"type\": \"array\"}}} | items | /properties/a",
      })
  void shouldApplyOpenAisStrictRules(final String schema, final String keyword, final String at) {
    assertThatThrownBy(() -> JsonGrammar.fromSchema(schema, true))
        .isInstanceOf(SchemaException.class)
        .satisfies(
            e -> {
              assertThat(((SchemaException) e).keyword()).isEqualTo(keyword);
              assertThat(((SchemaException) e).pointer()).isEqualTo(at == null ? "" : at);
            });
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"type\": \"strin\"} | type",
        "{\"type\": []} | type",
        "{\"type\": [\"string\", \"string\"]} | type",
        "{\"type\": \"object\", \"required\": [\"zz\"], \"properties\": {}} | required",
        "{\"type\": \"object\", \"properties\": []} | properties",
        "{\"enum\": []} | enum",
        "{\"type\": \"string\", \"enum\": [1, 2]} | enum",
        "{\"enum\": [1], \"const\": 1} | const",
        "{\"anyOf\": []} | anyOf",
        "{\"type\": \"string\", \"anyOf\": [{\"type\": \"null\"}]} | anyOf",
        "{\"$ref\": \"#/$defs/missing\"} | $ref",
        "{\"$ref\": \"other.json#/x\"} | $ref",
        "{\"$ref\": \"#/$defs/a\", \"type\": \"string\", \"$defs\": {\"a\": {}}} | type",
        "{\"type\": \"array\", \"minItems\": 3, \"maxItems\": 2} | maxItems",
        "{\"type\": \"array\", \"minItems\": -1} | minItems",
        "{\"type\": \"array\", \"items\": [{}]} | items",
        "{\"type\": \"object\", \"additionalProperties\": false, \"required\": [\"n\"],"
            + " \"properties\": {\"n\": {\"$ref\": \"#\"}}} | $ref",
        "{\"anyOf\": [{\"$ref\": \"#\"}, {\"type\": \"null\"}]} | $ref",
        "{\"$ref\": \"#\"} | $ref",
        "[1] | schema",
        "{not json | schema",
        "{\"$defs\": {\"bad\": {\"format\": \"email\"}}} | format"
      })
  void shouldRefuseBadValuesNamingTheKeyword(final String schema, final String keyword) {
    assertThatThrownBy(() -> JsonGrammar.fromSchema(schema, false))
        .isInstanceOf(SchemaException.class)
        .satisfies(e -> assertThat(((SchemaException) e).keyword()).isEqualTo(keyword));
  }

  @Test
  void shouldBoundTheSizeOfASchema() {
    final StringBuilder values = new StringBuilder();
    for (int i = 0; i <= SchemaCompiler.MAX_ENUM_VALUES; i++) {
      values.append(i == 0 ? "" : ",").append(i);
    }
    assertThatThrownBy(() -> JsonGrammar.fromSchema("{\"enum\": [" + values + "]}", false))
        .isInstanceOf(SchemaException.class)
        .hasMessageContaining("more than " + SchemaCompiler.MAX_ENUM_VALUES);
    String nested = OK_STRING;
    for (int i = 0; i <= SchemaCompiler.MAX_NESTING; i++) {
      nested = "{\"type\": \"array\", \"items\": " + nested + "}";
    }
    final String deep = nested;
    assertThatThrownBy(() -> JsonGrammar.fromSchema(deep, false))
        .isInstanceOf(SchemaException.class)
        .hasMessageContaining("deeper than");
  }

  @Test
  void shouldAcceptAnnotationsAndDefinitions() {
    final JsonGrammar g =
        JsonGrammar.fromSchema(
            """
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "t",
             "description": "d", "type": "object", "additionalProperties": false,
             "required": ["a", "b"],
             "properties": {"a": {"$ref": "#/definitions/x", "description": "see x"},
                            "b": {"$ref": "#/$defs/y~1z"}},
             "definitions": {"x": {"type": "integer", "default": 3, "examples": [1]}},
             "$defs": {"y/z": {"type": "boolean", "deprecated": false}}}
            """,
            true);
    assertThat(JsonGrammarTest.classify(g, "{\"a\":3,\"b\":true}")).isEqualTo(1);
    final JsonGrammar rooted =
        JsonGrammar.fromSchema(
            "{\"$ref\": \"#/$defs/x\", \"$defs\": {\"x\": {\"type\": \"boolean\"}}}", false);
    assertThat(JsonGrammarTest.classify(rooted, "false")).isEqualTo(1);
  }

  @Test
  void shouldBuildToolCallsOfTheGivenFunctions() {
    final List<JsonGrammar.Function> functions =
        List.of(
            new JsonGrammar.Function(
                "get_weather",
                """
                {"type": "object", "additionalProperties": false, "required": ["city", "unit"],
                 "properties": {"city": {"type": "string"},
                                "unit": {"type": ["string", "null"], "enum": ["C", "F", null]}}}
                """,
                true),
            new JsonGrammar.Function("now", null, false));
    final JsonGrammar one = JsonGrammar.toolCall(functions);
    assertThat(
            JsonGrammarTest.classify(
                one, "{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Oslo\",\"unit\":null}}"))
        .isEqualTo(1);
    assertThat(JsonGrammarTest.classify(one, "{\"name\":\"now\",\"arguments\":{}}")).isEqualTo(1);
    assertThat(JsonGrammarTest.classify(one, "{\"name\":\"now\",\"arguments\":{\"city\":\"\"}}"))
        .isEqualTo(-1);
    assertThat(JsonGrammarTest.classify(one, "{\"name\":\"later\",\"arguments\":{}}"))
        .isEqualTo(-1);
    final JsonGrammar many = JsonGrammar.toolCalls(functions, 2);
    assertThat(
            JsonGrammarTest.classify(
                many,
                "[{\"name\":\"now\",\"arguments\":{}},"
                    + "{\"name\":\"get_weather\",\"arguments\":{\"city\":\"\",\"unit\":\"C\"}}]"))
        .isEqualTo(1);
    assertThat(JsonGrammarTest.classify(many, "[]")).isEqualTo(-1);
    assertThatThrownBy(
            () ->
                JsonGrammar.toolCall(
                    List.of(new JsonGrammar.Function("f", "{\"type\": \"object\"}", true))))
        .isInstanceOf(SchemaException.class)
        .hasMessageContaining("function 'f'")
        .satisfies(
            e -> assertThat(((SchemaException) e).keyword()).isEqualTo("additionalProperties"));
  }
}
