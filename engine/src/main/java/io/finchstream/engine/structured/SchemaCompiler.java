package io.finchstream.engine.structured;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles a JSON schema (the subset of {@link JsonGrammar}) into {@link Rule}s. One use per
 * schema; not thread-safe.
 */
final class SchemaCompiler {

  /** Most properties over the whole schema (OpenAI: 5000). */
  static final int MAX_PROPERTIES = 5000;

  /** Most {@code enum}/{@code const} values over the whole schema (OpenAI: 1000). */
  static final int MAX_ENUM_VALUES = 1000;

  /** Most bytes of property names and enum values over the whole schema (OpenAI: 120,000). */
  static final int MAX_TEXT_BYTES = 120_000;

  /** Deepest nesting of subschemas (references excluded). */
  static final int MAX_NESTING = 32;

  /** Largest {@code minItems} / {@code maxItems}. */
  static final int MAX_ITEMS_BOUND = 10_000;

  /** Keywords that describe and never constrain: accepted and not used. */
  static final Set<String> ANNOTATIONS =
      Set.of(
          "title",
          "description",
          "$comment",
          "$schema",
          "examples",
          "default",
          "deprecated",
          "readOnly",
          "writeOnly");

  /** Every keyword the compiler understands (the annotations included). */
  static final Set<String> KEYWORDS =
      Set.of(
          "type",
          "properties",
          "required",
          "additionalProperties",
          "items",
          "minItems",
          "maxItems",
          "enum",
          "const",
          "anyOf",
          "$ref",
          "$defs",
          "definitions");

  private static final List<String> TYPES =
      List.of("object", "array", "string", "number", "integer", "boolean", "null");

  private final ObjectMapper mapper;
  private final List<Rule> rules = new ArrayList<>();
  private JsonNode document; // the schema being compiled ($ref resolves in it)
  private boolean strict;
  private IdentityHashMap<JsonNode, RefRule> references = new IdentityHashMap<>();
  private int properties;
  private int enumValues;
  private int textBytes;
  private StringRule string;
  private NumberRule number;
  private NumberRule integer;
  private LiteralRule bool;
  private LiteralRule nul;
  private UnionRule any;

  SchemaCompiler(final ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /**
   * The rule of one schema document ({@code $ref}s resolve inside it); with {@code strict}, also
   * OpenAI's strict-mode rules (an object at the root, every object closed and every property
   * required, items given for arrays).
   */
  Rule document(final JsonNode schema, final boolean strictMode) {
    this.document = schema;
    this.strict = strictMode;
    this.references = new IdentityHashMap<>();
    if (strict) {
      checkStrictRoot(schema);
    }
    final Rule value = compile(schema, "", 0);
    if (schema.isObject()) {
      compileDefinitions(schema);
    }
    return value;
  }

  /** The root for {@code value}; sets every rule's {@link Rule#minBytes}. */
  RootRule root(final Rule value) {
    final RootRule root = add(new RootRule(rules.size()));
    root.value = value;
    return finish(root, "");
  }

  /** Rules compiled so far. */
  int size() {
    return rules.size();
  }

  private RootRule finish(final RootRule root, final String pointer) {
    checkNoBareCycles(pointer);
    for (int round = 0; round <= rules.size(); round++) {
      boolean changed = false;
      for (final Rule r : rules) {
        if (r.updateMinBytes()) {
          changed = true;
        }
      }
      if (!changed) {
        break;
      }
    }
    if (root.minBytes >= Rule.UNREACHABLE) {
      throw new SchemaException(
          pointer,
          "$ref",
          "makes the schema infinite: every valid value would contain itself (a required"
              + " property or item refers back to its own schema); make the recursion optional"
              + " (a nullable type, an anyOf branch, or an array that may be empty)");
    }
    return root;
  }

  /**
   * Refuses a {@code $ref} cycle that passes through no object or array ({@code {"anyOf": [{"$ref":
   * "#"}, ...]}}): starting such a value would start itself again before reading a byte.
   */
  private void checkNoBareCycles(final String pointer) {
    final IdentityHashMap<Rule, Boolean> done = new IdentityHashMap<>();
    for (final Rule r : rules) {
      bareCycle(r, new IdentityHashMap<>(), done, pointer);
    }
  }

  private static void bareCycle(
      final Rule r,
      final IdentityHashMap<Rule, Boolean> onPath,
      final IdentityHashMap<Rule, Boolean> done,
      final String pointer) {
    if (done.containsKey(r)) {
      return;
    }
    if (onPath.containsKey(r)) {
      throw new SchemaException(
          pointer,
          "$ref",
          "refers back to its own schema through anyOf or $ref alone, with no object or array"
              + " in between: such a value would contain itself before its first character");
    }
    onPath.put(r, Boolean.TRUE);
    for (final Rule next : bareChildren(r)) {
      bareCycle(next, onPath, done, pointer);
    }
    onPath.remove(r);
    done.put(r, Boolean.TRUE);
  }

  /** The rules a value of {@code r} starts with, without reading a byte first. */
  private static List<Rule> bareChildren(final Rule r) {
    if (r instanceof RefRule ref) {
      return List.of(ref.target);
    }
    if (r instanceof UnionRule union) {
      return union.alternatives();
    }
    return List.of();
  }

  private void checkStrictRoot(final JsonNode schema) {
    if (!schema.isObject() || !"object".equals(schema.path("type").asText(""))) {
      throw new SchemaException(
          "",
          schema.has("anyOf") ? "anyOf" : "type",
          "strict mode needs an object at the root: {\"type\": \"object\", ...}, not anyOf");
    }
  }

  /** {@code $defs} and {@code definitions} of {@code schema}, checked even where unused. */
  private void compileDefinitions(final JsonNode schema) {
    for (final String key : List.of("$defs", "definitions")) {
      final JsonNode defs = schema.get(key);
      if (defs == null) {
        continue;
      }
      if (!defs.isObject()) {
        throw new SchemaException("", key, "must be an object of named schemas");
      }
      for (final Iterator<String> it = defs.fieldNames(); it.hasNext(); ) {
        final String name = it.next();
        reference(defs.get(name), "/" + key + "/" + escape(name));
      }
    }
  }

  <R extends Rule> R add(final R rule) {
    rules.add(rule);
    return rule;
  }

  int nextId() {
    return rules.size();
  }

  /** The rule for a subschema at {@code pointer}. */
  Rule compile(final JsonNode schema, final String pointer, final int nesting) {
    if (nesting > MAX_NESTING) {
      throw new SchemaException(
          pointer, "properties", "nests subschemas deeper than " + MAX_NESTING + " levels");
    }
    if (!schema.isObject()) {
      if (!strict && schema.isBoolean() && schema.booleanValue()) {
        return any(); // the schema `true`: any value
      }
      throw new SchemaException(
          pointer, "schema", "must be a JSON object (a schema), got " + schema);
    }
    for (final Iterator<String> it = schema.fieldNames(); it.hasNext(); ) {
      final String keyword = it.next();
      if (!KEYWORDS.contains(keyword) && !ANNOTATIONS.contains(keyword)) {
        throw new SchemaException(
            pointer,
            keyword,
            "is not supported; supported: type (object, array, string, number, integer, boolean,"
                + " null, or a list of them), properties, required, additionalProperties, items,"
                + " minItems, maxItems, enum, const, anyOf, $ref, $defs/definitions, and"
                + " annotations (title, description, default, examples, $comment)");
      }
    }
    if (schema.has("$ref")) {
      return ref(schema, pointer);
    }
    if (schema.has("anyOf")) {
      return anyOf(schema, pointer, nesting);
    }
    final List<String> types = types(schema, pointer);
    if (schema.has("enum") || schema.has("const")) {
      return literals(schema, pointer, types);
    }
    if (types.isEmpty()) {
      if (strict) {
        throw new SchemaException(pointer, "type", "is required in strict mode");
      }
      if (schema.has("properties")
          || schema.has("required")
          || schema.has("additionalProperties")) {
        return object(schema, pointer, nesting);
      }
      if (schema.has("items") || schema.has("minItems") || schema.has("maxItems")) {
        return array(schema, pointer, nesting);
      }
      return any();
    }
    final List<Rule> alternatives = new ArrayList<>();
    for (final String type : types) {
      alternatives.add(ofType(type, schema, pointer, nesting));
    }
    return union(alternatives);
  }

  private Rule union(final List<Rule> alternatives) {
    if (alternatives.size() == 1) {
      return alternatives.get(0);
    }
    final UnionRule u = add(new UnionRule(nextId()));
    u.set(alternatives);
    return u;
  }

  private Rule ofType(
      final String type, final JsonNode schema, final String pointer, final int nesting) {
    return switch (type) {
      case "object" -> object(schema, pointer, nesting);
      case "array" -> array(schema, pointer, nesting);
      case "string" -> string();
      case "number" -> number();
      case "integer" -> integer();
      case "boolean" -> bool();
      default -> nul();
    };
  }

  /** The {@code type} keyword as a list (empty if absent), checked. */
  private List<String> types(final JsonNode schema, final String pointer) {
    final JsonNode type = schema.get("type");
    if (type == null) {
      return List.of();
    }
    final LinkedHashSet<String> out = new LinkedHashSet<>();
    if (type.isTextual()) {
      out.add(type.asText());
    } else if (type.isArray() && !type.isEmpty()) {
      for (final JsonNode t : type) {
        if (!t.isTextual() || !out.add(t.asText())) {
          throw new SchemaException(pointer, "type", "must list distinct type names, got " + type);
        }
      }
    } else {
      throw new SchemaException(
          pointer, "type", "must be a type name or a non-empty list of them, got " + type);
    }
    for (final String t : out) {
      if (!TYPES.contains(t)) {
        throw new SchemaException(pointer, "type", "'" + t + "' is not one of " + TYPES);
      }
    }
    return List.copyOf(out);
  }

  private Rule ref(final JsonNode schema, final String pointer) {
    for (final Iterator<String> it = schema.fieldNames(); it.hasNext(); ) {
      final String keyword = it.next();
      if (!keyword.equals("$ref")
          && !keyword.equals("$defs")
          && !keyword.equals("definitions")
          && !ANNOTATIONS.contains(keyword)) {
        throw new SchemaException(
            pointer,
            keyword,
            "cannot stand beside $ref (only annotations can); move it into the"
                + " referenced schema");
      }
    }
    final JsonNode ref = schema.get("$ref");
    if (!ref.isTextual() || !ref.asText().startsWith("#")) {
      throw new SchemaException(
          pointer, "$ref", "must point into this schema ('#' or '#/$defs/name'), got " + ref);
    }
    final String target = ref.asText().substring(1);
    final JsonNode resolved;
    try {
      resolved = target.isEmpty() ? document : document.at(JsonPointer.compile(target));
    } catch (final IllegalArgumentException e) {
      throw new SchemaException(pointer, "$ref", "is not a valid JSON pointer: " + ref, e);
    }
    if (resolved.isMissingNode()) {
      throw new SchemaException(pointer, "$ref", "points to nothing: " + ref.asText());
    }
    return reference(resolved, target);
  }

  /** The (shared) rule of a referenced schema, compiled on first use. */
  private RefRule reference(final JsonNode target, final String pointer) {
    RefRule r = references.get(target);
    if (r == null) {
      r = add(new RefRule(nextId()));
      references.put(target, r);
      r.target = compile(target, pointer, 0);
    }
    return r;
  }

  private Rule anyOf(final JsonNode schema, final String pointer, final int nesting) {
    for (final String other : List.of("type", "enum", "const", "properties", "items")) {
      if (schema.has(other)) {
        throw new SchemaException(
            pointer,
            "anyOf",
            "cannot be combined with '" + other + "' in the same schema; put it in each branch");
      }
    }
    final JsonNode branches = schema.get("anyOf");
    if (!branches.isArray() || branches.isEmpty()) {
      throw new SchemaException(pointer, "anyOf", "must be a non-empty list of schemas");
    }
    final List<Rule> alternatives = new ArrayList<>();
    for (int i = 0; i < branches.size(); i++) {
      alternatives.add(compile(branches.get(i), pointer + "/anyOf/" + i, nesting + 1));
    }
    return union(alternatives);
  }

  private Rule object(final JsonNode schema, final String pointer, final int nesting) {
    final JsonNode props = schema.get("properties");
    if (props != null && !props.isObject()) {
      throw new SchemaException(pointer, "properties", "must be an object of named schemas");
    }
    final JsonNode additional = schema.get("additionalProperties");
    final boolean closed = additional != null && additional.isBoolean() && !additional.asBoolean();
    if (strict && !closed) {
      throw new SchemaException(
          pointer,
          "additionalProperties",
          "must be false in strict mode (OpenAI's rule: every object is closed)");
    }
    if (additional != null && !additional.isBoolean() && !additional.isObject()) {
      throw new SchemaException(
          pointer, "additionalProperties", "must be a boolean or a schema, got " + additional);
    }
    if (props == null && !closed && !schema.has("required")) {
      final MapRule map = add(new MapRule(nextId(), string()));
      map.values =
          additional != null && additional.isObject()
              ? compile(additional, pointer + "/additionalProperties", nesting + 1)
              : any();
      return map;
    }
    final Set<String> required = required(schema, pointer, props);
    final List<String> names = new ArrayList<>();
    if (props != null) {
      props.fieldNames().forEachRemaining(names::add);
    }
    properties += names.size();
    if (properties > MAX_PROPERTIES) {
      throw new SchemaException(
          pointer, "properties", "makes more than " + MAX_PROPERTIES + " properties in all");
    }
    final byte[][] keys = new byte[names.size()][];
    final Rule[] values = new Rule[names.size()];
    final boolean[] isRequired = new boolean[names.size()];
    for (int i = 0; i < names.size(); i++) {
      final String name = names.get(i);
      if (strict && !required.contains(name)) {
        throw new SchemaException(
            pointer,
            "required",
            "must list every property in strict mode (OpenAI's rule; make a property optional"
                + " with a nullable type instead); missing: '"
                + name
                + "'");
      }
      keys[i] = text(mapper.getNodeFactory().textNode(name), pointer, "properties");
      values[i] = compile(props.get(name), pointer + "/properties/" + escape(name), nesting + 1);
      isRequired[i] = required.contains(name);
    }
    return add(new ObjectRule(nextId(), keys, values, isRequired));
  }

  private static Set<String> required(
      final JsonNode schema, final String pointer, final JsonNode props) {
    final JsonNode required = schema.get("required");
    final Set<String> out = new LinkedHashSet<>();
    if (required == null) {
      return out;
    }
    if (!required.isArray()) {
      throw new SchemaException(pointer, "required", "must be a list of property names");
    }
    for (final JsonNode r : required) {
      if (!r.isTextual()) {
        throw new SchemaException(pointer, "required", "must be a list of property names");
      }
      if (props == null || !props.has(r.asText())) {
        throw new SchemaException(
            pointer,
            "required",
            "names '" + r.asText() + "', which is not in properties (no value could have it)");
      }
      out.add(r.asText());
    }
    return out;
  }

  private Rule array(final JsonNode schema, final String pointer, final int nesting) {
    final int min = bound(schema, "minItems", pointer, 0);
    final int max = bound(schema, "maxItems", pointer, -1);
    if (max >= 0 && max < min) {
      throw new SchemaException(
          pointer, "maxItems", "is below minItems (" + max + " < " + min + ")");
    }
    final JsonNode items = schema.get("items");
    final ArrayRule array = add(new ArrayRule(nextId(), min, max));
    if (items == null) {
      if (strict) {
        throw new SchemaException(pointer, "items", "is required for arrays in strict mode");
      }
      array.items = any();
    } else if (items.isObject() || items.isBoolean()) {
      array.items = compile(items, pointer + "/items", nesting + 1);
    } else {
      throw new SchemaException(
          pointer, "items", "must be one schema (tuples, a list of schemas, are not supported)");
    }
    return array;
  }

  private static int bound(
      final JsonNode schema, final String keyword, final String pointer, final int absent) {
    final JsonNode v = schema.get(keyword);
    if (v == null) {
      return absent;
    }
    if (!v.canConvertToExactIntegral() || v.asLong() < 0 || v.asLong() > MAX_ITEMS_BOUND) {
      throw new SchemaException(
          pointer, keyword, "must be an integer in [0, " + MAX_ITEMS_BOUND + "], got " + v);
    }
    return v.asInt();
  }

  private Rule literals(final JsonNode schema, final String pointer, final List<String> types) {
    if (schema.has("enum") && schema.has("const")) {
      throw new SchemaException(pointer, "const", "cannot be combined with enum; use one");
    }
    final String keyword = schema.has("enum") ? "enum" : "const";
    final List<JsonNode> values = new ArrayList<>();
    if (keyword.equals("const")) {
      values.add(schema.get("const"));
    } else {
      final JsonNode list = schema.get("enum");
      if (!list.isArray() || list.isEmpty()) {
        throw new SchemaException(pointer, "enum", "must be a non-empty list of values");
      }
      list.forEach(values::add);
    }
    enumValues += values.size();
    if (enumValues > MAX_ENUM_VALUES) {
      throw new SchemaException(
          pointer, keyword, "makes more than " + MAX_ENUM_VALUES + " enum values in all");
    }
    final List<byte[]> texts = new ArrayList<>();
    for (final JsonNode v : values) {
      if (types.isEmpty() || types.stream().anyMatch(t -> hasType(v, t))) {
        final byte[] text = text(v, pointer, keyword);
        if (texts.stream().noneMatch(t -> Arrays.equals(t, text))) {
          texts.add(text);
        }
      }
    }
    if (texts.isEmpty()) {
      throw new SchemaException(
          pointer, keyword, "has no value of the schema's type " + types + ": nothing is valid");
    }
    return add(new LiteralRule(nextId(), texts));
  }

  /** Whether JSON value {@code v} is of JSON-Schema type {@code type}. */
  static boolean hasType(final JsonNode v, final String type) {
    final JsonNodeType t = v.getNodeType();
    return switch (type) {
      case "object" -> t == JsonNodeType.OBJECT;
      case "array" -> t == JsonNodeType.ARRAY;
      case "string" -> t == JsonNodeType.STRING;
      case "number" -> t == JsonNodeType.NUMBER;
      case "integer" -> t == JsonNodeType.NUMBER && v.canConvertToExactIntegral();
      case "boolean" -> t == JsonNodeType.BOOLEAN;
      default -> t == JsonNodeType.NULL;
    };
  }

  /** The compact JSON text of a value (a name, an enum value), counted against the limits. */
  private byte[] text(final JsonNode value, final String pointer, final String keyword) {
    checkFinite(value, pointer, keyword);
    final byte[] text;
    try {
      text = mapper.writeValueAsString(value).getBytes(StandardCharsets.UTF_8);
    } catch (final JsonProcessingException e) {
      throw new SchemaException(pointer, keyword, "has a value that cannot be written", e);
    }
    if (!wellFormed(value)) {
      throw new SchemaException(pointer, keyword, "has text with an unpaired surrogate");
    }
    textBytes += text.length;
    if (textBytes > MAX_TEXT_BYTES) {
      throw new SchemaException(
          pointer,
          keyword,
          "makes more than " + MAX_TEXT_BYTES + " bytes of property names and enum values");
    }
    return text;
  }

  private static void checkFinite(final JsonNode v, final String pointer, final String keyword) {
    if (v.isFloatingPointNumber() && !v.isBigDecimal() && !Double.isFinite(v.doubleValue())) {
      throw new SchemaException(pointer, keyword, "has a number that is not finite: " + v);
    }
    for (final JsonNode child : v) {
      checkFinite(child, pointer, keyword);
    }
  }

  private static boolean wellFormed(final JsonNode v) {
    if (v.isTextual()) {
      return wellFormed(v.asText());
    }
    if (v.isObject()) {
      for (final Map.Entry<String, JsonNode> e : v.properties()) {
        if (!wellFormed(e.getKey()) || !wellFormed(e.getValue())) {
          return false;
        }
      }
      return true;
    }
    for (final JsonNode child : v) {
      if (!wellFormed(child)) {
        return false;
      }
    }
    return true;
  }

  private static boolean wellFormed(final String s) {
    for (int i = 0; i < s.length(); i++) {
      final char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  /** A JSON-pointer token for {@code name} (RFC 6901: ~ → ~0, / → ~1). */
  static String escape(final String name) {
    return name.replace("~", "~0").replace("/", "~1");
  }

  StringRule string() {
    if (string == null) {
      string = add(new StringRule(nextId()));
    }
    return string;
  }

  private NumberRule number() {
    if (number == null) {
      number = add(new NumberRule(nextId(), false));
    }
    return number;
  }

  private NumberRule integer() {
    if (integer == null) {
      integer = add(new NumberRule(nextId(), true));
    }
    return integer;
  }

  private LiteralRule bool() {
    if (bool == null) {
      bool = add(new LiteralRule(nextId(), List.of(bytes("true"), bytes("false"))));
    }
    return bool;
  }

  private LiteralRule nul() {
    if (nul == null) {
      nul = add(new LiteralRule(nextId(), List.of(bytes("null"))));
    }
    return nul;
  }

  /** Any JSON value (objects with any names, arrays of any values, scalars). */
  UnionRule any() {
    if (any == null) {
      any = add(new UnionRule(nextId()));
      final MapRule object = add(new MapRule(nextId(), string()));
      object.values = any;
      final ArrayRule array = add(new ArrayRule(nextId(), 0, -1));
      array.items = any;
      any.set(List.of(object, array, string(), number(), bool(), nul()));
    }
    return any;
  }

  /** An object with any names and values ({@code json_object}). */
  MapRule anyObject() {
    final MapRule object = add(new MapRule(nextId(), string()));
    object.values = any();
    return object;
  }

  /** An object with exactly these properties, all required, in this order. */
  ObjectRule fixedObject(final List<String> names, final List<Rule> values) {
    final byte[][] keys = new byte[names.size()][];
    final boolean[] required = new boolean[names.size()];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = text(mapper.getNodeFactory().textNode(names.get(i)), "", "properties");
      required[i] = true;
    }
    return add(new ObjectRule(nextId(), keys, values.toArray(new Rule[0]), required));
  }

  /** The literal JSON string {@code value}. */
  LiteralRule constant(final String value) {
    return add(
        new LiteralRule(
            nextId(), List.of(text(mapper.getNodeFactory().textNode(value), "", "const"))));
  }

  /** A union of {@code alternatives} (the one itself if single). */
  Rule anyOf(final List<Rule> alternatives) {
    return union(alternatives);
  }

  /** An array of {@code min}..{@code max} values of {@code items}. */
  ArrayRule arrayOf(final Rule items, final int min, final int max) {
    final ArrayRule array = add(new ArrayRule(nextId(), min, max));
    array.items = items;
    return array;
  }

  private static byte[] bytes(final String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
