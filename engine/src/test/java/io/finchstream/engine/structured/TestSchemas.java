package io.finchstream.engine.structured;

import java.util.List;

/** Ten schemas for the constrained-generation tests: every supported keyword appears. */
final class TestSchemas {

  private TestSchemas() {}

  /**
   * A schema and whether it follows OpenAI's strict rules.
   *
   * @param name for test names
   * @param json the schema
   * @param strict compile in strict mode
   */
  record Case(String name, String json, boolean strict) {
    @Override
    public String toString() {
      return name;
    }
  }

  static final List<Case> ALL =
      List.of(
          new Case(
              "person",
              """
              {"type": "object", "additionalProperties": false,
               "required": ["name", "age", "email", "active"],
               "properties": {"name": {"type": "string", "description": "full name"},
                              "age": {"type": "integer"},
                              "email": {"type": ["string", "null"]},
                              "active": {"type": "boolean"}}}
              """,
              true),
          new Case(
              "nested",
              """
              {"type": "object", "additionalProperties": false,
               "required": ["id", "customer", "total"],
               "properties": {
                 "id": {"type": "integer"},
                 "customer": {"type": "object", "additionalProperties": false,
                   "required": ["name", "address"],
                   "properties": {"name": {"type": "string"},
                     "address": {"type": "object", "additionalProperties": false,
                       "required": ["street", "city"],
                       "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}}},
                 "total": {"type": "number"}}}
              """,
              true),
          new Case(
              "order-lines",
              """
              {"type": "object", "additionalProperties": false, "required": ["lines"],
               "properties": {"lines": {"type": "array", "minItems": 1, "maxItems": 3,
                 "items": {"type": "object", "additionalProperties": false,
                   "required": ["sku", "qty", "price"],
                   "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"},
                                  "price": {"type": "number"}}}}}}
              """,
              true),
          new Case(
              "enums",
              """
              {"type": "object", "additionalProperties": false,
               "required": ["status", "priority", "flags"],
               "properties": {
                 "status": {"type": "string", "enum": ["pending", "shipped", "delivered"]},
                 "priority": {"enum": [1, 2, 3, 10, 12.5]},
                 "flags": {"type": "array", "items": {"type": "boolean"}}}}
              """,
              true),
          new Case(
              "shapes-anyOf",
              """
              {"type": "object", "additionalProperties": false, "required": ["shape"],
               "properties": {"shape": {"anyOf": [
                 {"type": "object", "additionalProperties": false, "required": ["kind", "radius"],
                  "properties": {"kind": {"const": "circle"}, "radius": {"type": "number"}}},
                 {"type": "object", "additionalProperties": false, "required": ["kind", "w", "h"],
                  "properties": {"kind": {"const": "rect"}, "w": {"type": "number"},
                                 "h": {"type": "number"}}},
                 {"type": "object", "additionalProperties": false, "required": ["kind", "w"],
                  "properties": {"kind": {"const": "rect"}, "w": {"type": "string"}}}]}}}
              """,
              true),
          new Case(
              "tree-$defs",
              """
              {"type": "object", "additionalProperties": false, "required": ["root"],
               "properties": {"root": {"$ref": "#/$defs/node"}},
               "$defs": {"node": {"type": "object", "additionalProperties": false,
                 "required": ["label", "children"],
                 "properties": {"label": {"type": "string"},
                   "children": {"type": "array", "maxItems": 2, "items": {"$ref": "#/$defs/node"}}}}}}
              """,
              true),
          new Case(
              "math-steps",
              """
              {"type": "object", "additionalProperties": false, "required": ["steps", "final_answer"],
               "properties": {
                 "steps": {"type": "array", "items": {"type": "object",
                   "additionalProperties": false, "required": ["explanation", "output"],
                   "properties": {"explanation": {"type": "string"}, "output": {"type": "string"}}}},
                 "final_answer": {"type": "string"}}}
              """,
              true),
          new Case(
              "nullable-const",
              """
              {"type": "object", "additionalProperties": false,
               "required": ["version", "note", "values"],
               "properties": {"version": {"const": 2},
                              "note": {"type": ["string", "null"]},
                              "values": {"type": "array", "items": {"type": ["number", "null"]}}}}
              """,
              true),
          new Case(
              "unicode-keys",
              """
              {"type": "object", "additionalProperties": false,
               "required": ["text", "lang", "sc\\"ore", "日本"],
               "properties": {"text": {"type": "string"},
                              "lang": {"enum": ["en", "fr", "de", "日本語", "a\\"b\\\\c\\n"]},
                              "sc\\"ore": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                              "日本": {"type": "boolean"}}}
              """,
              true),
          new Case(
              "optional-and-map",
              """
              {"type": "object", "required": ["title"],
               "properties": {"title": {"type": "string"},
                              "meta": {"type": "object", "additionalProperties": {"type": "integer"}},
                              "tags": {"type": "array", "maxItems": 4},
                              "extra": {}}}
              """,
              false));
}
