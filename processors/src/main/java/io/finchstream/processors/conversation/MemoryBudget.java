package io.finchstream.processors.conversation;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory all hot-state caches of one service instance share ({@code hot.cache.max.bytes}):
 * every task's cache charges its states here and evicts its own least recently used states while
 * the total is over the limit. Thread-safe.
 */
public final class MemoryBudget {

  private final long maxBytes;
  private final AtomicLong used = new AtomicLong();

  public MemoryBudget(final long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** The limit in bytes. */
  public long maxBytes() {
    return maxBytes;
  }

  /** Bytes currently charged. */
  public long used() {
    return used.get();
  }

  void charge(final long delta) {
    used.addAndGet(delta);
  }

  boolean over() {
    return used.get() > maxBytes;
  }
}
