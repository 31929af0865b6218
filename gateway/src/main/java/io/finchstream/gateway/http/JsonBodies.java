package io.finchstream.gateway.http;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Strict reading of JSON request bodies: each accessor checks type and range and throws an {@link
 * ApiException} naming the field, so a bad request gets a 400 that says exactly what to fix.
 */
public final class JsonBodies {

  private JsonBodies() {}

  /** The body as a JSON object; an empty body is {@code {}}. */
  public static JsonObject object(final RoutingContext ctx) {
    final String text = ctx.body() == null ? null : ctx.body().asString();
    if (text == null || text.isBlank()) {
      return new JsonObject();
    }
    final Object parsed;
    try {
      parsed = Json.decodeValue(text);
    } catch (final DecodeException e) {
      throw ApiError.malformedJson(e.getMessage()).exception();
    }
    if (!(parsed instanceof JsonObject object)) {
      throw ApiError.badRequest("malformed_json", "the request body must be a JSON object")
          .exception();
    }
    return object;
  }

  /** Rejects fields outside {@code allowed} (catches typos such as "max_token"). */
  public static void onlyFields(final JsonObject body, final Set<String> allowed) {
    for (final String name : body.fieldNames()) {
      if (!allowed.contains(name)) {
        throw ApiError.invalidParameter(
                name,
                "unknown field '"
                    + name
                    + "'; allowed: "
                    + String.join(", ", new TreeSet<>(allowed)))
            .exception();
      }
    }
  }

  /** A string field, or null when absent or null. */
  public static String string(final JsonObject body, final String name) {
    final Object v = body.getValue(name);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw ApiError.invalidParameter(name, "'" + name + "' must be a string").exception();
    }
    return wellFormed(s, name);
  }

  /**
   * Returns {@code text} if it is well-formed UTF-16, else throws a 400 naming {@code param}. JSON
   * may escape lone surrogates ({@code "\\ud800"}), which have no UTF-8 encoding: protobuf would
   * silently write them as {@code '?'}, so the processors would apply a different text than the
   * client sent.
   */
  public static String wellFormed(final String text, final String param) {
    for (int i = 0; i < text.length(); i++) {
      final char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw ApiError.invalidParameter(
                param,
                "'"
                    + param
                    + "' holds a lone surrogate (\\u"
                    + Integer.toHexString(c)
                    + " at index "
                    + i
                    + "), which is not Unicode text; send well-formed UTF-16 escapes")
            .exception();
      }
    }
    return text;
  }

  /** A boolean field, or {@code dflt}. */
  public static boolean bool(final JsonObject body, final String name, final boolean dflt) {
    final Object v = body.getValue(name);
    if (v == null) {
      return dflt;
    }
    if (!(v instanceof Boolean b)) {
      throw ApiError.invalidParameter(name, "'" + name + "' must be true or false").exception();
    }
    return b;
  }

  /** A number field in [{@code min}, {@code max}], or null. */
  public static Double number(
      final JsonObject body, final String name, final double min, final double max) {
    final Object v = body.getValue(name);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Number n)) {
      throw ApiError.invalidParameter(name, "'" + name + "' must be a number").exception();
    }
    final double d = n.doubleValue();
    if (!(d >= min && d <= max)) {
      throw ApiError.invalidParameter(
              name, "'" + name + "' must be between " + min + " and " + max + ", got " + v)
          .exception();
    }
    return d;
  }

  /** An integer field in [{@code min}, {@code max}], or null. */
  public static Long integer(
      final JsonObject body, final String name, final long min, final long max) {
    return integerValue(body.getValue(name), name, min, max);
  }

  private static Long integerValue(
      final Object v, final String name, final long min, final long max) {
    if (v == null) {
      return null;
    }
    final long value;
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      value = ((Number) v).longValue();
    } else if (v instanceof BigInteger
        || v instanceof BigDecimal
        || v instanceof Double
        || v instanceof Float) {
      final BigDecimal d = new BigDecimal(v.toString());
      if (d.stripTrailingZeros().scale() > 0
          || d.compareTo(BigDecimal.valueOf(max)) > 0
          || d.compareTo(BigDecimal.valueOf(min)) < 0) {
        throw ApiError.invalidParameter(
                name,
                "'" + name + "' must be an integer between " + min + " and " + max + ", got " + v)
            .exception();
      }
      value = d.longValueExact();
    } else {
      throw ApiError.invalidParameter(name, "'" + name + "' must be an integer").exception();
    }
    if (value < min || value > max) {
      throw ApiError.invalidParameter(
              name, "'" + name + "' must be between " + min + " and " + max + ", got " + value)
          .exception();
    }
    return value;
  }

  /** A string or an array of strings (OpenAI's {@code stop}), as a list; empty when absent. */
  public static List<String> strings(final JsonObject body, final String name) {
    final Object v = body.getValue(name);
    if (v == null) {
      return List.of();
    }
    if (v instanceof String s) {
      return List.of(wellFormed(s, name));
    }
    if (!(v instanceof JsonArray array)) {
      throw ApiError.invalidParameter(
              name, "'" + name + "' must be a string or an array of strings")
          .exception();
    }
    final List<String> out = new ArrayList<>();
    for (final Object item : array) {
      if (!(item instanceof String s)) {
        throw ApiError.invalidParameter(
                name, "'" + name + "' must be a string or an array of strings")
            .exception();
      }
      out.add(wellFormed(s, name));
    }
    return out;
  }

  /** An array of integers in [{@code min}, {@code max}]; null when absent. */
  public static List<Integer> integers(
      final JsonObject body, final String name, final int min, final int max) {
    final Object v = body.getValue(name);
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonArray array)) {
      throw ApiError.invalidParameter(name, "'" + name + "' must be an array of integers")
          .exception();
    }
    final List<Integer> out = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      final Long value = integerValue(array.getValue(i), name + "[" + i + "]", min, max);
      if (value == null) {
        throw ApiError.invalidParameter(
                name, "'" + name + "[" + i + "]' must be an integer, got null")
            .exception();
      }
      out.add(value.intValue());
    }
    return out;
  }
}
