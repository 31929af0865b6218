package io.finchstream.loadtests.gateway;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * One session's measurements (merged into the run's at the end, so sessions never contend): time to
 * first token, inter-token gaps (per token), whole-turn latency (HdrHistograms in microseconds, 3
 * significant digits, up to 10 minutes), tokens per event, token and error counts. Not thread-safe.
 */
final class Latencies {

  static final long HIGHEST_MICROS = 600_000_000L;

  final Histogram ttft = histogram();
  final Histogram interToken = histogram();
  final Histogram turn = histogram();

  /** Events (native) or chunks (OpenAI) that carried reply text or tokens. */
  long events;

  /** Tokens those events carried (native only: OpenAI chunks carry no token ids). */
  long eventTokens;

  /** Events that carried more than one token (native): tokens that arrived in a burst. */
  long multiTokenEvents;

  long completionTokens;
  long promptTokens;

  /** Of {@link #promptTokens}, those the service reused (usage.prompt_tokens_details). */
  long cachedTokens;

  long turns;
  final Map<String, Long> errors = new TreeMap<>();

  /**
   * One sample per successful turn of this session, in order (bounded by the session's {@code
   * --turns}); not merged by {@link #add}, since a run's sessions' turn numbers overlap.
   */
  final List<TurnSample> perTurn = new ArrayList<>();

  /**
   * One turn as the client saw it: its number (1-based), wall time of the request (sent to the end
   * of the reply) and time to its first reply chunk in microseconds (-1 if no text arrived), and
   * the turn's usage (OpenAI APIs only; 0 for native).
   */
  record TurnSample(
      int turn,
      long wallMicros,
      long ttftMicros,
      long promptTokens,
      long cachedTokens,
      long completionTokens) {}

  static Histogram histogram() {
    return new Histogram(HIGHEST_MICROS, 3);
  }

  /**
   * Records an arrival of {@code tokens} tokens {@code gapMicros} after the previous one, per
   * token: the first of them waited {@code gapMicros}, the others arrived with it (gap 0). So a
   * reply that arrives in bursts shows as many zero gaps and a few long ones, as a reader sees it,
   * not as an average spread over the burst.
   */
  void interTokenGap(final long gapMicros, final int tokens) {
    if (tokens <= 0) {
      return;
    }
    interToken.recordValue(Math.min(HIGHEST_MICROS, Math.max(0, gapMicros)));
    if (tokens > 1) {
      interToken.recordValueWithCount(0, tokens - 1);
    }
  }

  /** An event (or chunk) arrived with {@code tokens} tokens (-1: the API does not say). */
  void event(final int tokens) {
    events++;
    if (tokens > 0) {
      eventTokens += tokens;
    }
    if (tokens > 1) {
      multiTokenEvents++;
    }
  }

  void error(final String what) {
    errors.merge(what, 1L, Long::sum);
  }

  void add(final Latencies other) {
    ttft.add(other.ttft);
    interToken.add(other.interToken);
    turn.add(other.turn);
    events += other.events;
    eventTokens += other.eventTokens;
    multiTokenEvents += other.multiTokenEvents;
    completionTokens += other.completionTokens;
    promptTokens += other.promptTokens;
    cachedTokens += other.cachedTokens;
    turns += other.turns;
    other.errors.forEach((k, v) -> errors.merge(k, v, Long::sum));
  }
}
