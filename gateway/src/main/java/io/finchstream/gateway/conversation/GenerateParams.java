package io.finchstream.gateway.conversation;

import io.finchstream.gateway.ApiModel;
import io.finchstream.gateway.EventLimits;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.gateway.http.JsonBodies;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.SamplingParams;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Reads the sampling and stopping fields of a request into a {@link Generate} (without request id
 * and reply address), checking each against events.proto's ranges and the processors' limits.
 * Fields: {@code max_tokens, temperature, top_p, top_k, min_p, seed, stop, stop_token_ids,
 * repetition_penalty, presence_penalty, frequency_penalty}.
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
          "frequency_penalty");

  private GenerateParams() {}

  /**
   * Reads the fields of {@code body} into a Generate, checked against {@code limits}.
   *
   * @param maxTemperature the highest temperature accepted (OpenAI clients expect 2)
   * @param extraStops stop strings added after the request's own (chat turn ends)
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
    g.setSampling(s);
    readStops(body, model, limits, extraStops, g);
    return g;
  }

  /**
   * A number field in [{@code min}, {@code max}] as the 32-bit float events.proto carries, or null;
   * refused when the conversion takes it out of the range (it would not mean what the client
   * asked).
   */
  private static Float asFloat(
      final JsonObject body, final String name, final double min, final double max) {
    final Double value = JsonBodies.number(body, name, min, max);
    if (value == null) {
      return null;
    }
    final float f = value.floatValue();
    if (!(f >= min && f <= max)) {
      throw ApiError.invalidParameter(
              name,
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
