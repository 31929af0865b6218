package io.finchstream.loadtests.gateway;

import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * One session's measurements (merged into the run's at the end, so sessions never contend): time to
 * first token, inter-token latency, whole-turn latency (HdrHistograms in microseconds, 3
 * significant digits, up to 10 minutes), token and error counts. Not thread-safe.
 */
final class Latencies {

  static final long HIGHEST_MICROS = 600_000_000L;

  final Histogram ttft = histogram();
  final Histogram interToken = histogram();
  final Histogram turn = histogram();
  long completionTokens;
  long promptTokens;
  long turns;
  final Map<String, Long> errors = new TreeMap<>();

  static Histogram histogram() {
    return new Histogram(HIGHEST_MICROS, 3);
  }

  /**
   * Records the gap between two token arrivals, spread evenly over the {@code tokens} that arrived
   * together.
   */
  void interTokenGap(final long gapMicros, final int tokens) {
    if (tokens <= 0) {
      return;
    }
    interToken.recordValueWithCount(
        Math.min(HIGHEST_MICROS, Math.max(1, gapMicros / tokens)), tokens);
  }

  void error(final String what) {
    errors.merge(what, 1L, Long::sum);
  }

  void add(final Latencies other) {
    ttft.add(other.ttft);
    interToken.add(other.interToken);
    turn.add(other.turn);
    completionTokens += other.completionTokens;
    promptTokens += other.promptTokens;
    turns += other.turns;
    other.errors.forEach((k, v) -> errors.merge(k, v, Long::sum));
  }
}
