package io.finchstream.engine.sampling;

import io.finchstream.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

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
 * @param stopTokenIds ids that end the generation (besides end of text, which always does); never
 *     null, elements {@code >= 0}
 * @param stopStrings texts that end the generation (not emitted); never null; at most {@value
 *     #MAX_STOP_STRINGS}, each 1..{@value #MAX_STOP_LENGTH} chars of well-formed UTF-16
 * @param maxTokens most tokens to generate, {@code >= 1}
 * @param seed seeds the draws; with the same logits, same seed ⇒ same tokens
 */
public record SamplingParams(
    double temperature,
    double topP,
    int topK,
    double minP,
    double repetitionPenalty,
    double presencePenalty,
    double frequencyPenalty,
    List<Integer> stopTokenIds,
    List<String> stopStrings,
    int maxTokens,
    long seed) {

  /** Most stop strings per request. */
  public static final int MAX_STOP_STRINGS = 16;

  /** Longest stop string, in chars. */
  public static final int MAX_STOP_LENGTH = 256;

  /** Default {@link #maxTokens}. */
  public static final int DEFAULT_MAX_TOKENS = 256;

  /** The defaults: temperature 1, every filter and penalty off, no stops, 256 tokens, seed 0. */
  public static final SamplingParams DEFAULTS = builder().build();

  /** Copies the lists (null → empty); nulls inside are kept for {@link #validate()} to report. */
  public SamplingParams {
    stopTokenIds = immutableCopy(stopTokenIds);
    stopStrings = immutableCopy(stopStrings);
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
        .stopTokenIds(stopTokenIds)
        .stopStrings(stopStrings)
        .maxTokens(maxTokens)
        .seed(seed);
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
    return this;
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
    private List<Integer> stopTokenIds = List.of();
    private List<String> stopStrings = List.of();
    private int maxTokens = DEFAULT_MAX_TOKENS;
    private long seed;

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
          stopTokenIds,
          stopStrings,
          maxTokens,
          seed);
    }
  }
}
