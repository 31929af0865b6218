package io.finchstream.engine.structured;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An independent check of a parsed JSON value against a schema of the supported subset, written
 * straight from the JSON Schema definitions (it shares no code with the compiler): returns the
 * violations found, empty when the value is valid.
 */
final class SchemaValidator {

  private final JsonNode root;
  private final List<String> violations = new ArrayList<>();

  private SchemaValidator(final JsonNode root) {
    this.root = root;
  }

  static List<String> validate(final JsonNode schema, final JsonNode value) {
    final SchemaValidator v = new SchemaValidator(schema);
    v.check(schema, value, "$");
    return v.violations;
  }

  private boolean check(final JsonNode schema, final JsonNode value, final String path) {
    final int before = violations.size();
    if (schema.has("$ref")) {
      final String ref = schema.get("$ref").asText().substring(1);
      return check(ref.isEmpty() ? root : root.at(JsonPointer.compile(ref)), value, path);
    }
    if (schema.has("anyOf")) {
      for (final JsonNode branch : schema.get("anyOf")) {
        final SchemaValidator trial = new SchemaValidator(root);
        if (trial.check(branch, value, path)) {
          return true;
        }
      }
      violations.add(path + ": matches no anyOf branch: " + value);
      return false;
    }
    if (schema.has("enum") && !contains(schema.get("enum"), value)) {
      violations.add(path + ": " + value + " not in enum " + schema.get("enum"));
    }
    if (schema.has("const") && !same(schema.get("const"), value)) {
      violations.add(path + ": " + value + " is not the const " + schema.get("const"));
    }
    if (schema.has("type") && !typeMatches(schema.get("type"), value)) {
      violations.add(path + ": " + value + " is not of type " + schema.get("type"));
      return false;
    }
    if (value.isObject()) {
      checkObject(schema, value, path);
    }
    if (value.isArray()) {
      checkArray(schema, value, path);
    }
    return violations.size() == before;
  }

  private void checkObject(final JsonNode schema, final JsonNode value, final String path) {
    final JsonNode props = schema.path("properties");
    for (final JsonNode r : schema.path("required")) {
      if (!value.has(r.asText())) {
        violations.add(path + ": missing required property " + r);
      }
    }
    for (final Map.Entry<String, JsonNode> e : value.properties()) {
      if (props.has(e.getKey())) {
        check(props.get(e.getKey()), e.getValue(), path + "." + e.getKey());
      } else if (schema.path("additionalProperties").isObject()) {
        check(schema.get("additionalProperties"), e.getValue(), path + "." + e.getKey());
      } else if (schema.path("additionalProperties").isBoolean()
          && !schema.get("additionalProperties").asBoolean()) {
        violations.add(path + ": property " + e.getKey() + " is not allowed");
      }
    }
  }

  private void checkArray(final JsonNode schema, final JsonNode value, final String path) {
    if (schema.has("minItems") && value.size() < schema.get("minItems").asInt()) {
      violations.add(path + ": fewer than minItems");
    }
    if (schema.has("maxItems") && value.size() > schema.get("maxItems").asInt()) {
      violations.add(path + ": more than maxItems");
    }
    if (schema.has("items")) {
      for (int i = 0; i < value.size(); i++) {
        check(schema.get("items"), value.get(i), path + "[" + i + "]");
      }
    }
  }

  private static boolean typeMatches(final JsonNode type, final JsonNode value) {
    if (type.isArray()) {
      for (final JsonNode t : type) {
        if (typeMatches(t, value)) {
          return true;
        }
      }
      return false;
    }
    return switch (type.asText()) {
      case "object" -> value.isObject();
      case "array" -> value.isArray();
      case "string" -> value.isTextual();
      case "number" -> value.isNumber();
      case "integer" ->
          value.isIntegralNumber()
              || (value.isNumber() && value.decimalValue().stripTrailingZeros().scale() <= 0);
      case "boolean" -> value.isBoolean();
      case "null" -> value.isNull();
      default -> false;
    };
  }

  private static boolean contains(final JsonNode list, final JsonNode value) {
    for (final JsonNode v : list) {
      if (same(v, value)) {
        return true;
      }
    }
    return false;
  }

  /** JSON equality: numbers by value (1 = 1.0), the rest structurally. */
  static boolean same(final JsonNode a, final JsonNode b) {
    if (a.isNumber() && b.isNumber()) {
      final BigDecimal x = a.decimalValue();
      final BigDecimal y = b.decimalValue();
      return x.compareTo(y) == 0;
    }
    if (a.isObject() && b.isObject()) {
      if (a.size() != b.size()) {
        return false;
      }
      for (final Map.Entry<String, JsonNode> e : a.properties()) {
        if (!b.has(e.getKey()) || !same(e.getValue(), b.get(e.getKey()))) {
          return false;
        }
      }
      return true;
    }
    if (a.isArray() && b.isArray()) {
      if (a.size() != b.size()) {
        return false;
      }
      for (int i = 0; i < a.size(); i++) {
        if (!same(a.get(i), b.get(i))) {
          return false;
        }
      }
      return true;
    }
    return a.equals(b);
  }
}
