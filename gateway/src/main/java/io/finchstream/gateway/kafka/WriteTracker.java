package io.finchstream.gateway.kafka;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The last event this gateway wrote to each conversation (the most recently used few thousand), so
 * that a read of a conversation can wait until the processors have applied it: a client reads its
 * own writes. Thread-safe.
 */
public final class WriteTracker {

  private final Map<String, Written> last;

  public WriteTracker(final int capacity) {
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
}
