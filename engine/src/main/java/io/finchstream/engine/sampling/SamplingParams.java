package io.finchstream.engine.sampling;

import io.finchstream.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How to pick tokens for one generation. Immutable; construct with {@link #builder()} (defaults are
 * the identity: plain sampling at temperature 1) and check with {@link #validate()} before use
 * ({@link Sampler} validates again). Parameter names in errors are the HTTP API names.
 *
 * @param temperature {@code >= 0}; 0 = greedy (argmax after penalties)
 * @param topP nucleus mass in {@code (0, 1]}; 1 = off
 * @param topK keep the k most likely tokens, {@code >= 0}; 0 = off
 * @param minP drop tokens with probability below {@code minP × p_max}, in {@code [0, 1)}; 0 = off
 * @param repetitionPenalty {@code >= 1}: a generated token's logit is divided by it if positive,
 *     multiplied by it if negative; 1 = off
 * @param presencePenalty in {@code [-2, 2]}, subtracted once from every generated token's logit
 * @param frequencyPenalty in {@code [-2, 2]}, subtracted once per occurrence of a generated token
 * @param logitBias token id → bias in {@code [-100, 100]}, added to that token's logit after the
 *     penalties (OpenAI's {@code logit_bias}); never null, at most {@value #MAX_LOGIT_BIAS}
 *     entries, ids {@code >= 0} (and below the vocabulary size, checked by {@link #validate(int)})
 * @param stopTokenIds ids that end the generation (besides end of text, which always does); never
 *     null, elements {@code >= 0}
 * @param stopStrings texts that end the generation (not emitted); never null; at most {@value
 *     #MAX_STOP_STRINGS}, each 1..{@value #MAX_STOP_LENGTH} chars of well-formed UTF-16
 * @param maxTokens most tokens to generate, {@code >= 1}
 * @param seed seeds the draws; with the same logits, same seed ⇒ same tokens
 * @param logprobs report the log probability of every drawn token (see {@link Sampler})
 * @param topLogprobs with {@code logprobs}, also report the most likely {@code topLogprobs} tokens
 *     at each step, in {@code [0, }{@value #MAX_TOP_LOGPROBS}{@code ]}; must be 0 without {@code
 *     logprobs}
 */
public record SamplingParams(
    double temperature,
    double topP,
    int topK,
    double minP,
    double repetitionPenalty,
    double presencePenalty,
    double frequencyPenalty,
    Map<Integer, Double> logitBias,
    List<Integer> stopTokenIds,
    List<String> stopStrings,
    int maxTokens,
    long seed,
    boolean logprobs,
    int topLogprobs) {

  /** Most stop strings per request. */
  public static final int MAX_STOP_STRINGS = 16;

  /** Longest stop string, in chars. */
  public static final int MAX_STOP_LENGTH = 256;

  /** Most {@link #logitBias} entries per request. */
  public static final int MAX_LOGIT_BIAS = 1024;

  /** Largest |bias| of a {@link #logitBias} entry (OpenAI's range). */
  public static final double MAX_BIAS = 100.0;

  /** Most {@link #topLogprobs} (OpenAI's range). */
  public static final int MAX_TOP_LOGPROBS = 20;

  /** Default {@link #maxTokens}. */
  public static final int DEFAULT_MAX_TOKENS = 256;

  /** The defaults: temperature 1, every filter and penalty off, no stops, 256 tokens, seed 0. */
  public static final SamplingParams DEFAULTS = builder().build();

  /**
   * Copies the lists and the bias map (null → empty; the map sorted by id); nulls inside are kept
   * for {@link #validate()} to report.
   */
  public SamplingParams {
    logitBias = sortedCopy(logitBias);
    stopTokenIds = immutableCopy(stopTokenIds);
    stopStrings = immutableCopy(stopStrings);
  }

  private static Map<Integer, Double> sortedCopy(final Map<Integer, Double> map) {
    if (map == null || map.isEmpty()) {
      return Map.of();
    }
    final TreeMap<Integer, Double> sorted =
        new TreeMap<>((a, b) -> a == null ? (b == null ? 0 : -1) : b == null ? 1 : a.compareTo(b));
    sorted.putAll(map);
    return Collections.unmodifiableMap(sorted);
  }

  private static <T> List<T> immutableCopy(final List<T> list) {
    return list == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(list));
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these values. */
  public Builder toBuilder() {
    return new Builder()
        .temperature(temperature)
        .topP(topP)
        .topK(topK)
        .minP(minP)
        .repetitionPenalty(repetitionPenalty)
        .presencePenalty(presencePenalty)
        .frequencyPenalty(frequencyPenalty)
        .logitBias(logitBias)
        .stopTokenIds(stopTokenIds)
        .stopStrings(stopStrings)
        .maxTokens(maxTokens)
        .seed(seed)
        .logprobs(logprobs)
        .topLogprobs(topLogprobs);
  }

  /** True if 0 (end of text) or one of {@link #stopTokenIds}. */
  public boolean isStopToken(final int tokenId) {
    return tokenId == Tokenizer.END_OF_TEXT || stopTokenIds.contains(tokenId);
  }

  /** True if sampling is greedy (temperature 0): no random numbers are used. */
  public boolean isGreedy() {
    return temperature == 0.0;
  }

  /**
   * Checks every parameter against its range.
   *
   * @return this
   * @throws InvalidParameterException naming the first bad parameter, its range and its value
   */
  public SamplingParams validate() {
    if (!(temperature >= 0.0) || temperature == Double.POSITIVE_INFINITY) {
      throw new InvalidParameterException(
          "temperature", "a finite number >= 0 (0 = greedy)", temperature);
    }
    if (!(topP > 0.0 && topP <= 1.0)) {
      throw new InvalidParameterException("top_p", "in (0, 1] (1 = off)", topP);
    }
    if (topK < 0) {
      throw new InvalidParameterException("top_k", ">= 0 (0 = off)", topK);
    }
    if (!(minP >= 0.0 && minP < 1.0)) {
      throw new InvalidParameterException("min_p", "in [0, 1) (0 = off)", minP);
    }
    if (!(repetitionPenalty >= 1.0) || repetitionPenalty == Double.POSITIVE_INFINITY) {
      throw new InvalidParameterException(
          "repetition_penalty", "a finite number >= 1 (1 = off)", repetitionPenalty);
    }
    if (!(presencePenalty >= -2.0 && presencePenalty <= 2.0)) {
      throw new InvalidParameterException(
          "presence_penalty", "in [-2, 2] (0 = off)", presencePenalty);
    }
    if (!(frequencyPenalty >= -2.0 && frequencyPenalty <= 2.0)) {
      throw new InvalidParameterException(
          "frequency_penalty", "in [-2, 2] (0 = off)", frequencyPenalty);
    }
    validateLogitBias();
    for (final Integer id : stopTokenIds) {
      if (id == null || id < 0) {
        throw new InvalidParameterException(
            "stop_token_ids", "a list of token ids >= 0", stopTokenIds);
      }
    }
    validateStopStrings();
    if (maxTokens < 1) {
      throw new InvalidParameterException("max_tokens", ">= 1", maxTokens);
    }
    if (topLogprobs < 0 || topLogprobs > MAX_TOP_LOGPROBS) {
      throw new InvalidParameterException(
          "top_logprobs", "in [0, " + MAX_TOP_LOGPROBS + "]", topLogprobs);
    }
    if (topLogprobs > 0 && !logprobs) {
      throw new InvalidParameterException(
          "top_logprobs", "0 unless logprobs is requested", topLogprobs);
    }
    return this;
  }

  /**
   * {@link #validate()}, and every token id of {@link #logitBias} below {@code vocabSize}.
   *
   * @return this
   * @throws InvalidParameterException naming the first bad parameter
   */
  public SamplingParams validate(final int vocabSize) {
    validate();
    for (final Integer id : logitBias.keySet()) {
      if (id >= vocabSize) {
        throw new InvalidParameterException(
            "logit_bias", "keyed by token ids in [0, " + (vocabSize - 1) + "]", id);
      }
    }
    return this;
  }

  private void validateLogitBias() {
    if (logitBias.size() > MAX_LOGIT_BIAS) {
      throw new InvalidParameterException(
          "logit_bias", "at most " + MAX_LOGIT_BIAS + " entries", logitBias.size() + " entries");
    }
    for (final Map.Entry<Integer, Double> e : logitBias.entrySet()) {
      if (e.getKey() == null || e.getKey() < 0) {
        throw new InvalidParameterException(
            "logit_bias", "keyed by token ids >= 0", String.valueOf(e.getKey()));
      }
      final Double bias = e.getValue();
      if (bias == null || !(bias >= -MAX_BIAS && bias <= MAX_BIAS)) {
        throw new InvalidParameterException(
            "logit_bias",
            "biases in [-" + (int) MAX_BIAS + ", " + (int) MAX_BIAS + "]",
            "token " + e.getKey() + ": " + bias);
      }
    }
  }

  private void validateStopStrings() {
    if (stopStrings.size() > MAX_STOP_STRINGS) {
      throw new InvalidParameterException(
          "stop", "at most " + MAX_STOP_STRINGS + " strings", stopStrings.size() + " strings");
    }
    for (final String s : stopStrings) {
      if (s == null || s.isEmpty() || s.length() > MAX_STOP_LENGTH || !wellFormed(s)) {
        throw new InvalidParameterException(
            "stop",
            "strings of 1.." + MAX_STOP_LENGTH + " characters without unpaired surrogates",
            s == null ? "null" : '"' + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + '"');
      }
    }
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

  /** Mutable builder for {@link SamplingParams}; {@link #build()} does not validate. */
  public static final class Builder {
    private double temperature = 1.0;
    private double topP = 1.0;
    private int topK;
    private double minP;
    private double repetitionPenalty = 1.0;
    private double presencePenalty;
    private double frequencyPenalty;
    private Map<Integer, Double> logitBias = Map.of();
    private List<Integer> stopTokenIds = List.of();
    private List<String> stopStrings = List.of();
    private int maxTokens = DEFAULT_MAX_TOKENS;
    private long seed;
    private boolean logprobs;
    private int topLogprobs;

    private Builder() {}

    /** See {@link SamplingParams#temperature()}. */
    public Builder temperature(final double value) {
      temperature = value;
      return this;
    }

    /** See {@link SamplingParams#topP()}. */
    public Builder topP(final double value) {
      topP = value;
      return this;
    }

    /** See {@link SamplingParams#topK()}. */
    public Builder topK(final int value) {
      topK = value;
      return this;
    }

    /** See {@link SamplingParams#minP()}. */
    public Builder minP(final double value) {
      minP = value;
      return this;
    }

    /** See {@link SamplingParams#repetitionPenalty()}. */
    public Builder repetitionPenalty(final double value) {
      repetitionPenalty = value;
      return this;
    }

    /** See {@link SamplingParams#presencePenalty()}. */
    public Builder presencePenalty(final double value) {
      presencePenalty = value;
      return this;
    }

    /** See {@link SamplingParams#frequencyPenalty()}. */
    public Builder frequencyPenalty(final double value) {
      frequencyPenalty = value;
      return this;
    }

    /** See {@link SamplingParams#logitBias()}. */
    public Builder logitBias(final Map<Integer, Double> value) {
      logitBias = value;
      return this;
    }

    /** See {@link SamplingParams#stopTokenIds()}. */
    public Builder stopTokenIds(final List<Integer> value) {
      stopTokenIds = value;
      return this;
    }

    /** See {@link SamplingParams#stopStrings()}. */
    public Builder stopStrings(final List<String> value) {
      stopStrings = value;
      return this;
    }

    /** See {@link SamplingParams#maxTokens()}. */
    public Builder maxTokens(final int value) {
      maxTokens = value;
      return this;
    }

    /** See {@link SamplingParams#seed()}. */
    public Builder seed(final long value) {
      seed = value;
      return this;
    }

    /** See {@link SamplingParams#logprobs()}. */
    public Builder logprobs(final boolean value) {
      logprobs = value;
      return this;
    }

    /** See {@link SamplingParams#topLogprobs()}. */
    public Builder topLogprobs(final int value) {
      topLogprobs = value;
      return this;
    }

    /** The params (not validated; call {@link SamplingParams#validate()}). */
    public SamplingParams build() {
      return new SamplingParams(
          temperature,
          topP,
          topK,
          minP,
          repetitionPenalty,
          presencePenalty,
          frequencyPenalty,
          logitBias,
          stopTokenIds,
          stopStrings,
          maxTokens,
          seed,
          logprobs,
          topLogprobs);
    }
  }
}
