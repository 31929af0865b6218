package io.finchstream.engine.sampling;

import java.util.List;

/**
 * Finds stop strings in streamed text and says how much text is safe to emit now.
 *
 * <p>Text arrives in chunks (complete characters, e.g. from {@link
 * io.finchstream.engine.tokenizer.StreamingDecoder}). Each {@link #push} returns the text that can
 * be emitted: everything except the longest suffix that could still grow into a stop string, which
 * is held back. In the first push after which the text so far contains a stop string (possibly
 * spanning chunks), the text before the earliest such occurrence is emitted, the stop string and
 * everything after it are dropped, and {@link Step#stopped()} is true; later pushes emit nothing.
 * Generation stops as soon as any stop string is complete: a longer stop that started earlier but
 * has not completed yet does not win. If generation ends for another reason, {@link #finish()}
 * returns the held-back text.
 *
 * <p>Invariant: the emitted text is always a prefix of the full text with no stop string in it, and
 * at most {@code longest stop − 1} characters are held back. Not thread-safe.
 */
public final class StopMatcher {

  /**
   * The outcome of one {@link #push}.
   *
   * @param text safe to emit now (never null, possibly empty)
   * @param stopped true if a stop string was found (in this or an earlier push)
   */
  public record Step(String text, boolean stopped) {}

  private final List<String> stops;
  private final StringBuilder pending =
      new StringBuilder(); // held back: may be the start of a stop
  private boolean stopped;

  /**
   * A matcher for {@code stopStrings} (none = every push is emitted at once). Empty strings are
   * ignored.
   */
  public StopMatcher(final List<String> stopStrings) {
    this.stops = stopStrings.stream().filter(s -> !s.isEmpty()).toList();
  }

  /** Adds a chunk of generated text. */
  public Step push(final String chunk) {
    if (stopped) {
      return new Step("", true);
    }
    pending.append(chunk);
    final int at = earliestStop();
    if (at >= 0) {
      final String text = pending.substring(0, at);
      pending.setLength(0);
      stopped = true;
      return new Step(text, true);
    }
    final int emit = pending.length() - heldBack();
    final String text = pending.substring(0, emit);
    pending.delete(0, emit);
    return new Step(text, false);
  }

  /** Generation ended without a stop string: the held-back text (empty after a stop). */
  public String finish() {
    final String text = pending.toString();
    pending.setLength(0);
    return text;
  }

  /** True once a stop string was found. */
  public boolean stopped() {
    return stopped;
  }

  /** Characters currently held back. */
  public int heldBackLength() {
    return pending.length();
  }

  /** Start of the earliest stop string in pending, or -1. */
  private int earliestStop() {
    int earliest = -1;
    for (final String stop : stops) {
      final int at = pending.indexOf(stop);
      if (at >= 0 && (earliest < 0 || at < earliest)) {
        earliest = at;
      }
    }
    return earliest;
  }

  /** Length of the longest suffix of pending that is a proper prefix of some stop string. */
  private int heldBack() {
    int held = 0;
    for (final String stop : stops) {
      for (int k = Math.min(stop.length() - 1, pending.length()); k > held; k--) {
        if (endsWith(pending, stop, k)) {
          held = k;
          break;
        }
      }
    }
    return held;
  }

  /** True if text ends with the first k chars of stop. */
  private static boolean endsWith(final CharSequence text, final String stop, final int k) {
    final int offset = text.length() - k;
    for (int i = 0; i < k; i++) {
      if (text.charAt(offset + i) != stop.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}
