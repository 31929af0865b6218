package io.finchstream.gateway;

/**
 * The processors' limits on events (their configuration's {@code max.*} keys, and what sampling
 * supports). The gateway checks request fields against them, so that an error names the field at
 * fault; the processors' own check of the whole event ({@link EventAdmission}) follows before
 * anything is written. {@code app} builds this from the processors' configuration with the same
 * code the processors use ({@code EventValidator.Limits.from}).
 *
 * @param maxTextBytes largest AppendText (and prefix text), UTF-8 bytes
 * @param maxAppendTokens most tokens of one append (AppendTokens ids, or the rendered AppendText)
 * @param maxGenerateTokens largest max_tokens of a Generate
 * @param defaultGenerateTokens max_tokens used when a request gives none
 * @param maxStopSequences most stop strings plus stop token ids of one Generate
 * @param maxStopStrings most stop strings of one Generate (what sampling supports)
 */
public record EventLimits(
    int maxTextBytes,
    int maxAppendTokens,
    int maxGenerateTokens,
    int defaultGenerateTokens,
    int maxStopSequences,
    int maxStopStrings) {

  /** Largest stop string, UTF-8 bytes (events.proto). */
  public static final int MAX_STOP_BYTES = 256;

  public EventLimits {
    if (maxTextBytes <= 0
        || maxAppendTokens <= 0
        || maxGenerateTokens <= 0
        || defaultGenerateTokens <= 0
        || maxStopSequences < 0
        || maxStopStrings < 0) {
      throw new IllegalArgumentException("event limits must be positive");
    }
  }

  /** The processors' defaults (and sampling's {@code SamplingParams.MAX_STOP_STRINGS}). */
  public static EventLimits defaults() {
    return new EventLimits(256 * 1024, 262_144, 4096, 256, 16, 16);
  }
}
