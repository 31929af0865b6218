package io.finchstream.gateway.kafka;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The last event this gateway wrote to each conversation (the most recently used few thousand), so
 * that a read of a conversation can wait until the processors have applied it: a client reads its
 * own writes. Also the last generation it cancelled per conversation. Thread-safe.
 */
public final class WriteTracker {

  private final Map<String, Written> last;
  private final Map<String, String> cancelled;

  public WriteTracker(final int capacity) {
    this.cancelled =
        new LinkedHashMap<>(256, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(final Map.Entry<String, String> eldest) {
            return size() > capacity;
          }
        };
    this.last =
        new LinkedHashMap<>(256, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(final Map.Entry<String, Written> eldest) {
            return size() > capacity;
          }
        };
  }

  /** Remembers that {@code written} went to {@code conversationId} (keeps the later of two). */
  public synchronized void record(final String conversationId, final Written written) {
    final Written before = last.get(conversationId);
    if (before == null
        || before.partition() != written.partition()
        || before.offset() < written.offset()) {
      last.put(conversationId, written);
    }
  }

  /** The last event written to {@code conversationId}, or null. */
  public synchronized Written lastWrite(final String conversationId) {
    return last.get(conversationId);
  }

  /**
   * Remembers that this gateway cancelled generation {@code requestId} of {@code conversationId}
   * (its client went away): a retry of the same chat may then go on while it is still finishing.
   */
  public synchronized void recordCancel(final String conversationId, final String requestId) {
    cancelled.put(conversationId, requestId);
  }

  /** The last generation of {@code conversationId} this gateway cancelled, or "". */
  public synchronized String cancelled(final String conversationId) {
    return cancelled.getOrDefault(conversationId, "");
  }
}
