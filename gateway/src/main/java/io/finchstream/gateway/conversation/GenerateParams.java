package io.finchstream.gateway.conversation;

import io.finchstream.gateway.ApiModel;
import io.finchstream.gateway.EventLimits;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.http.ApiException;
import io.finchstream.gateway.http.JsonBodies;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.ResponseFormat;
import io.finchstream.proto.v1.SamplingParams;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * Reads the sampling and stopping fields of a request into a {@link Generate} (without request id
 * and reply address), checking each against events.proto's ranges and the processors' limits.
 * Fields: {@code max_tokens, temperature, top_p, top_k, min_p, seed, stop, stop_token_ids,
 * repetition_penalty, presence_penalty, frequency_penalty, logit_bias, response_format}. The schema
 * of a {@code json_schema} response format is compiled by the processors' validator (through the
 * admission port), which refuses keywords outside the supported subset naming them.
 */
public final class GenerateParams {

  /** The fields {@link #read} understands. */
  public static final List<String> FIELDS =
      List.of(
          "max_tokens",
          "temperature",
          "top_p",
          "top_k",
          "min_p",
          "seed",
          "stop",
          "stop_token_ids",
          "repetition_penalty",
          "presence_penalty",
          "frequency_penalty",
          "logit_bias",
          "response_format");

  /** Most {@code logit_bias} entries (the engine's bound). */
  public static final int MAX_LOGIT_BIAS = 1024;

  /** Most {@code top_logprobs} (OpenAI's range). */
  public static final int MAX_TOP_LOGPROBS = 20;

  /** The keys of {@code response_format.json_schema}. */
  private static final Set<String> JSON_SCHEMA_FIELDS =
      Set.of("name", "schema", "strict", "description");

  private GenerateParams() {}

  /**
   * Reads the fields of {@code body} into a Generate, checked against {@code limits}.
   *
   * @param maxTemperature the highest temperature accepted (OpenAI clients expect 2)
   * @param extraStops stop strings added after the request's own (chat turn ends); not added when
   *     {@code response_format} constrains the reply to JSON, whose grammar ends it
   */
  public static Generate.Builder read(
      final JsonObject body,
      final ApiModel model,
      final EventLimits limits,
      final double maxTemperature,
      final List<String> extraStops) {
    final Generate.Builder g = Generate.newBuilder();
    final SamplingParams.Builder s = SamplingParams.newBuilder();
    final Long maxTokens = JsonBodies.integer(body, "max_tokens", 1, limits.maxGenerateTokens());
    g.setMaxTokens(maxTokens == null ? limits.defaultGenerateTokens() : maxTokens.intValue());
    final Float temperature = asFloat(body, "temperature", 0, maxTemperature);
    if (temperature != null) {
      s.setTemperature(temperature);
    }
    final Float topP = asFloat(body, "top_p", 0, 1);
    if (topP != null) {
      if (topP == 0) {
        throw ApiError.invalidParameter(
                "top_p",
                "'top_p' must be above 0 and at most 1 (use temperature 0 for greedy)"
                    + (((Number) body.getValue("top_p")).doubleValue() == 0
                        ? ""
                        : "; "
                            + body.getValue("top_p")
                            + " is 0 as a 32-bit float, the precision the processors sample with"))
            .exception();
      }
      s.setTopP(topP);
    }
    final Long topK = JsonBodies.integer(body, "top_k", 0, model.vocabularySize());
    if (topK != null) {
      s.setTopK(topK.intValue());
    }
    final Float minP = asFloat(body, "min_p", 0, 0.999_999);
    if (minP != null) {
      s.setMinP(minP);
    }
    final Long seed = JsonBodies.integer(body, "seed", 0, Long.MAX_VALUE);
    if (seed != null) {
      s.setSeed(seed);
    }
    final Float repetition = asFloat(body, "repetition_penalty", 1, 10);
    if (repetition != null) {
      s.setRepetitionPenalty(repetition);
    }
    final Float presence = asFloat(body, "presence_penalty", -2, 2);
    if (presence != null) {
      s.setPresencePenalty(presence);
    }
    final Float frequency = asFloat(body, "frequency_penalty", -2, 2);
    if (frequency != null) {
      s.setFrequencyPenalty(frequency);
    }
    readLogitBias(body, model, s);
    g.setSampling(s);
    readResponseFormat(body, g);
    // A JSON reply ends where its grammar ends; a chat turn stop such as a blank line would cut it
    // short inside the JSON's own whitespace.
    final boolean constrained =
        g.hasResponseFormat() && g.getResponseFormat().getType() != ResponseFormat.Type.TYPE_TEXT;
    readStops(body, model, limits, constrained ? List.of() : extraStops, g);
    return g;
  }

  /**
   * Asks for log probabilities ({@code logprobs}) and the {@code top} most likely tokens at each
   * step (0..{@value #MAX_TOP_LOGPROBS}).
   */
  public static void logprobs(final Generate.Builder g, final boolean logprobs, final int top) {
    g.setLogprobs(logprobs).setTopLogprobs(logprobs ? top : 0);
  }

  /**
   * {@code logit_bias}: an object from token id (a decimal string, as JSON keys are) to a bias in
   * [-100, 100].
   */
  private static void readLogitBias(
      final JsonObject body, final ApiModel model, final SamplingParams.Builder s) {
    final Object v = body.getValue("logit_bias");
    if (v == null) {
      return;
    }
    if (!(v instanceof JsonObject bias)) {
      throw ApiError.invalidParameter(
              "logit_bias", "'logit_bias' must be an object from token id to a bias in -100..100")
          .exception();
    }
    if (bias.size() > MAX_LOGIT_BIAS) {
      throw ApiError.invalidParameter(
              "logit_bias",
              "'logit_bias' has " + bias.size() + " entries, at most " + MAX_LOGIT_BIAS)
          .exception();
    }
    for (final String key : bias.fieldNames()) {
      final int id;
      try {
        id = Integer.parseInt(key);
      } catch (final NumberFormatException e) {
        throw ApiError.invalidParameter(
                "logit_bias", "'logit_bias' keys must be token ids, got '" + key + "'")
            .exception();
      }
      if (id < 0 || id >= model.vocabularySize()) {
        throw ApiError.invalidParameter(
                "logit_bias",
                "'logit_bias' token id "
                    + id
                    + " is outside the vocabulary [0, "
                    + (model.vocabularySize() - 1)
                    + "]")
            .exception();
      }
      final Float b = asFloat(bias, key, -100, 100, "logit_bias");
      if (b == null) {
        throw ApiError.invalidParameter(
                "logit_bias", "'logit_bias[" + key + "]' must be a number in -100..100")
            .exception();
      }
      s.putLogitBias(id, b);
    }
  }

  /**
   * {@code response_format}: {@code {"type": "text"}}, {@code {"type": "json_object"}} or {@code
   * {"type": "json_schema", "json_schema": {"name", "schema", "strict", "description"}}}.
   */
  private static void readResponseFormat(final JsonObject body, final Generate.Builder g) {
    final Object v = body.getValue("response_format");
    if (v == null) {
      return;
    }
    if (!(v instanceof JsonObject format) || !(format.getValue("type") instanceof String type)) {
      throw ApiError.invalidParameter(
              "response_format",
              "'response_format' must be an object with a 'type': text, json_object or"
                  + " json_schema")
          .exception();
    }
    final ResponseFormat.Builder f = ResponseFormat.newBuilder();
    switch (type) {
      case "text" -> {
        only(format, Set.of("type"));
        f.setType(ResponseFormat.Type.TYPE_TEXT);
      }
      case "json_object" -> {
        only(format, Set.of("type"));
        f.setType(ResponseFormat.Type.TYPE_JSON_OBJECT);
      }
      case "json_schema" -> {
        only(format, Set.of("type", "json_schema"));
        if (!(format.getValue("json_schema") instanceof JsonObject spec)) {
          throw ApiError.invalidParameter(
                  "response_format.json_schema",
                  "'response_format.json_schema' must be an object {name, schema, strict}")
              .exception();
        }
        for (final String key : spec.fieldNames()) {
          if (!JSON_SCHEMA_FIELDS.contains(key)) {
            throw ApiError.invalidParameter(
                    "response_format.json_schema." + key,
                    "'response_format.json_schema." + key + "' is not supported")
                .exception();
          }
        }
        final String name = JsonBodies.string(spec, "name");
        if (name == null || !name.matches("[A-Za-z0-9_-]{1,64}")) {
          throw ApiError.invalidParameter(
                  "response_format.json_schema.name",
                  "'response_format.json_schema.name' must be 1-64 of a-z, A-Z, 0-9, _ and -")
              .exception();
        }
        JsonBodies.string(spec, "description");
        if (!(spec.getValue("schema") instanceof JsonObject schema)) {
          throw ApiError.invalidParameter(
                  "response_format.json_schema.schema",
                  "'response_format.json_schema.schema' must be a JSON schema (an object)")
              .exception();
        }
        f.setType(ResponseFormat.Type.TYPE_JSON_SCHEMA)
            .setName(name)
            .setSchema(schema.encode())
            .setStrict(JsonBodies.bool(spec, "strict", false));
      }
      default ->
          throw ApiError.invalidParameter(
                  "response_format.type",
                  "'response_format.type' must be text, json_object or json_schema, got '"
                      + type
                      + "'")
              .exception();
    }
    g.setResponseFormat(f);
  }

  private static void only(final JsonObject format, final Set<String> allowed) {
    for (final String key : format.fieldNames()) {
      if (!allowed.contains(key)) {
        throw ApiError.invalidParameter(
                "response_format." + key, "'response_format." + key + "' is not supported here")
            .exception();
      }
    }
  }

  /**
   * A number field in [{@code min}, {@code max}] as the 32-bit float events.proto carries, or null;
   * refused when the conversion takes it out of the range (it would not mean what the client
   * asked).
   */
  private static Float asFloat(
      final JsonObject body, final String name, final double min, final double max) {
    return asFloat(body, name, min, max, name);
  }

  private static Float asFloat(
      final JsonObject body,
      final String name,
      final double min,
      final double max,
      final String param) {
    final Double value;
    try {
      value = JsonBodies.number(body, name, min, max);
    } catch (final ApiException e) {
      if (param.equals(name)) {
        throw e;
      }
      throw ApiError.invalidParameter(param, "'" + param + "[" + name + "]': " + e.getMessage())
          .exception();
    }
    if (value == null) {
      return null;
    }
    final float f = value.floatValue();
    if (!(f >= min && f <= max)) {
      throw ApiError.invalidParameter(
              param,
              "'"
                  + name
                  + "' is "
                  + body.getValue(name)
                  + ", which is "
                  + f
                  + " as a 32-bit float (the precision the processors use), outside "
                  + min
                  + ".."
                  + max)
          .exception();
    }
    return f;
  }

  private static void readStops(
      final JsonObject body,
      final ApiModel model,
      final EventLimits limits,
      final List<String> extraStops,
      final Generate.Builder g) {
    final List<String> stops = JsonBodies.strings(body, "stop");
    for (final String stop : stops) {
      if (stop.isEmpty()
          || stop.getBytes(StandardCharsets.UTF_8).length > EventLimits.MAX_STOP_BYTES) {
        throw ApiError.invalidParameter(
                "stop",
                "each stop string must be 1 to " + EventLimits.MAX_STOP_BYTES + " bytes long")
            .exception();
      }
    }
    final List<Integer> stopIds =
        JsonBodies.integers(body, "stop_token_ids", 0, model.vocabularySize() - 1);
    final int strings =
        stops.size() + (int) extraStops.stream().filter(e -> !stops.contains(e)).count();
    if (strings > limits.maxStopStrings()) {
      throw ApiError.invalidParameter(
              "stop",
              "at most "
                  + (limits.maxStopStrings() - (strings - stops.size()))
                  + " stop strings, got "
                  + stops.size())
          .exception();
    }
    final int count = stops.size() + extraStops.size() + (stopIds == null ? 0 : stopIds.size());
    if (count > limits.maxStopSequences()) {
      throw ApiError.invalidParameter(
              "stop",
              "at most "
                  + (limits.maxStopSequences() - extraStops.size())
                  + " stop strings and stop token ids together, got "
                  + (count - extraStops.size()))
          .exception();
    }
    g.addAllStop(stops);
    for (final String extra : extraStops) {
      if (!stops.contains(extra)) {
        g.addStop(extra);
      }
    }
    if (stopIds != null) {
      g.addAllStopTokenIds(stopIds);
    }
  }
}
