package io.finchstream.gateway;

/**
 * The processors' limits on events (their configuration's {@code max.*} keys). The gateway checks
 * requests against them and answers 4xx at once, instead of writing an event the processors would
 * dead-letter.
 *
 * @param maxTextBytes largest AppendText (and prefix text), UTF-8 bytes
 * @param maxAppendTokens most tokens of one AppendTokens
 * @param maxGenerateTokens largest max_tokens of a Generate
 * @param defaultGenerateTokens max_tokens used when a request gives none
 * @param maxStopSequences most stop strings plus stop token ids of one Generate
 */
public record EventLimits(
    int maxTextBytes,
    int maxAppendTokens,
    int maxGenerateTokens,
    int defaultGenerateTokens,
    int maxStopSequences) {

  /** Largest stop string, UTF-8 bytes (events.proto). */
  public static final int MAX_STOP_BYTES = 256;

  public EventLimits {
    if (maxTextBytes <= 0
        || maxAppendTokens <= 0
        || maxGenerateTokens <= 0
        || defaultGenerateTokens <= 0
        || maxStopSequences < 0) {
      throw new IllegalArgumentException("event limits must be positive");
    }
  }

  /** The processors' defaults. */
  public static EventLimits defaults() {
    return new EventLimits(256 * 1024, 262_144, 4096, 256, 16);
  }
}
