package io.finchstream.engine.structured;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a constrained generation may write: one JSON value, described by a JSON schema or built in
 * code ({@code json_object}, a tool call). Vocabulary-independent and immutable; bind it to a
 * vocabulary with {@link TokenGrammar}.
 *
 * <p><b>The JSON written.</b> RFC 8259 JSON, UTF-8, with at most {@value Rule#MAX_WHITESPACE}
 * whitespace bytes in a row between tokens (leading whitespace included), none after the value: the
 * output ends with the value's last byte. Objects of a schema carry their properties in the
 * schema's order and never a property the schema does not declare; numbers are JSON numbers ({@code
 * integer}: no fraction or exponent); strings are valid UTF-8 without unpaired-surrogate escapes.
 * Objects and arrays nest at most {@value Rule#MAX_DEPTH} deep.
 *
 * <p><b>The schema subset</b> (OpenAI's structured outputs): {@code type} (object, array, string,
 * number, integer, boolean, null, or a list of them, e.g. {@code ["string", "null"]}), {@code
 * properties}, {@code required}, {@code additionalProperties}, {@code items}, {@code minItems},
 * {@code maxItems}, {@code enum}, {@code const}, {@code anyOf}, {@code $ref} to {@code #} or into
 * the schema ({@code #/$defs/name}, {@code #/definitions/name}; recursion allowed), and the
 * annotations {@code title}, {@code description}, {@code default}, {@code examples}, {@code
 * $comment}, {@code $schema}, {@code deprecated}, {@code readOnly}, {@code writeOnly}. Every other
 * keyword ({@code pattern}, {@code format}, {@code minLength}, {@code minimum}, {@code allOf},
 * {@code oneOf}, {@code not}, {@code prefixItems}, ...) is refused with a {@link SchemaException}
 * naming it. Limits (as OpenAI's): {@value SchemaCompiler#MAX_PROPERTIES} properties, {@value
 * SchemaCompiler#MAX_ENUM_VALUES} enum values, {@value SchemaCompiler#MAX_TEXT_BYTES} bytes of
 * names and enum values, {@value SchemaCompiler#MAX_NESTING} levels of nesting.
 *
 * <p><b>Strict mode</b> ({@code "strict": true}) applies OpenAI's rules and refuses a schema that
 * breaks them: the root is {@code "type": "object"}; every object has {@code
 * "additionalProperties": false} and lists every property in {@code required}; arrays have {@code
 * items}; every schema has a {@code type} (or is an {@code enum}, {@code const}, {@code anyOf} or
 * {@code $ref}). Without strict, properties missing from {@code required} are optional (written or
 * skipped, in order), an object without {@code properties} takes any names (its values follow
 * {@code additionalProperties} when that is a schema), an array without {@code items} takes any
 * values, and a schema without {@code type} takes any value. Either way the output is valid against
 * the schema.
 */
public final class JsonGrammar {

  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .build();

  /** Longest schema text accepted, in chars. */
  public static final int MAX_SCHEMA_CHARS = 1 << 20;

  private final RootRule root;
  private final int rules;
  private final String description;

  private JsonGrammar(final RootRule root, final int rules, final String description) {
    this.root = root;
    this.rules = rules;
    this.description = description;
  }

  /** Any JSON object ({@code response_format: {"type": "json_object"}}). */
  public static JsonGrammar anyObject() {
    final SchemaCompiler c = new SchemaCompiler(MAPPER);
    final RootRule root = c.root(c.anyObject());
    return new JsonGrammar(root, c.size(), "any JSON object");
  }

  /**
   * The values of a JSON schema given as text.
   *
   * @throws SchemaException when the text is not JSON, or the schema is outside the subset
   */
  public static JsonGrammar fromSchema(final String schema, final boolean strict) {
    return fromSchema(parse(schema), strict);
  }

  /**
   * The values of a JSON schema.
   *
   * @throws SchemaException when the schema is outside the subset (naming the keyword)
   */
  public static JsonGrammar fromSchema(final JsonNode schema, final boolean strict) {
    Objects.requireNonNull(schema, "schema");
    final SchemaCompiler c = new SchemaCompiler(MAPPER);
    final RootRule root = c.root(c.document(schema, strict));
    return new JsonGrammar(root, c.size(), (strict ? "strict " : "") + "JSON schema");
  }

  /**
   * A function to call: its name and the JSON schema of its arguments.
   *
   * @param name the function's name
   * @param parameters the schema of its arguments (text), or null for none (the empty object)
   * @param strict whether {@code parameters} follows OpenAI's strict rules (checked)
   */
  public record Function(String name, String parameters, boolean strict) {
    /** Checks that there is a name. */
    public Function {
      Objects.requireNonNull(name, "name");
    }
  }

  /**
   * One call of one of {@code functions}: {@code {"name": "<one of the names>", "arguments": <a
   * value of that function's parameters schema>}}, for {@code tool_choice} {@code required} (all
   * the request's functions) or a named function (a list of one). The gateway turns the {@code
   * arguments} object into OpenAI's {@code arguments} string.
   *
   * @throws SchemaException when a function's parameters are outside the subset (the pointer is
   *     relative to that function's parameters; the message names the function)
   * @throws IllegalArgumentException when {@code functions} is empty or names repeat
   */
  public static JsonGrammar toolCall(final List<Function> functions) {
    final SchemaCompiler c = new SchemaCompiler(MAPPER);
    final RootRule root = c.root(calls(c, functions));
    return new JsonGrammar(root, c.size(), "a call of " + names(functions));
  }

  /**
   * Parallel tool calls: a JSON array of 1..{@code maxCalls} calls as in {@link #toolCall}.
   *
   * @throws SchemaException as {@link #toolCall}
   */
  public static JsonGrammar toolCalls(final List<Function> functions, final int maxCalls) {
    if (maxCalls < 1 || maxCalls > SchemaCompiler.MAX_ITEMS_BOUND) {
      throw new IllegalArgumentException("maxCalls must be in [1, 10000], got " + maxCalls);
    }
    final SchemaCompiler c = new SchemaCompiler(MAPPER);
    final RootRule root = c.root(c.arrayOf(calls(c, functions), 1, maxCalls));
    return new JsonGrammar(root, c.size(), "up to " + maxCalls + " calls of " + names(functions));
  }

  private static Rule calls(final SchemaCompiler c, final List<Function> functions) {
    if (functions.isEmpty()) {
      throw new IllegalArgumentException("a tool call needs at least one function");
    }
    final List<Rule> alternatives = new ArrayList<>();
    final List<String> seen = new ArrayList<>();
    for (final Function f : functions) {
      if (seen.contains(f.name())) {
        throw new IllegalArgumentException("function name '" + f.name() + "' repeats");
      }
      seen.add(f.name());
      final Rule arguments;
      try {
        arguments =
            f.parameters() == null
                ? c.fixedObject(List.of(), List.of())
                : c.document(parse(f.parameters()), f.strict());
      } catch (final SchemaException e) {
        throw new SchemaException(
            e.pointer(), e.keyword(), "(function '" + f.name() + "'): " + e.getMessage(), e);
      }
      alternatives.add(
          c.fixedObject(List.of("name", "arguments"), List.of(c.constant(f.name()), arguments)));
    }
    return c.anyOf(alternatives);
  }

  private static String names(final List<Function> functions) {
    return functions.stream().map(Function::name).toList().toString();
  }

  private static JsonNode parse(final String schema) {
    Objects.requireNonNull(schema, "schema");
    if (schema.length() > MAX_SCHEMA_CHARS) {
      throw new SchemaException("", "schema", "is longer than " + MAX_SCHEMA_CHARS + " characters");
    }
    try {
      final JsonNode node = MAPPER.readTree(schema);
      if (node == null || node.isMissingNode()) {
        throw new SchemaException("", "schema", "is empty");
      }
      return node;
    } catch (final JsonProcessingException e) {
      throw new SchemaException("", "schema", "is not valid JSON: " + e.getOriginalMessage());
    }
  }

  /** The fewest bytes of a complete value. */
  public int minBytes() {
    return root.minBytes;
  }

  /** Rules compiled (a size measure). */
  public int rules() {
    return rules;
  }

  RootRule root() {
    return root;
  }

  /** The state before the first byte. */
  ParseState start() {
    return ParseState.start(root);
  }

  @Override
  public String toString() {
    return "JsonGrammar[" + description + ", " + rules + " rules, shortest " + minBytes() + " B]";
  }
}
