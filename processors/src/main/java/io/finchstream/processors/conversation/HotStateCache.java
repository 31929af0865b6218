package io.finchstream.processors.conversation;

import io.finchstream.engine.ModelState;
import io.finchstream.processors.FinchstreamMetrics;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Computed conversation states kept in memory, least recently used first, charged to a shared
 * {@link MemoryBudget}. Purely an optimisation: every entry remembers the incarnation it belongs to
 * and its position, and its owner ({@link ConversationLedger}) discards it when the stored metadata
 * disagrees. States of running generations are pinned (never evicted). One cache per processor
 * instance; not thread-safe.
 */
final class HotStateCache {

  /** A hot state. */
  static final class Entry {
    final ModelState state;
    long incarnation;
    private long chargedBytes;
    private boolean pinned;

    private Entry(final ModelState state, final long incarnation) {
      this.state = state;
      this.incarnation = incarnation;
    }

    long position() {
      return state.position();
    }
  }

  /**
   * Told of every entry evicted for memory (not of {@link #remove}), before it is dropped: the
   * owner snapshots progress the stores do not have yet, so eviction never loses computed tokens.
   */
  interface Evictions {
    void evicted(String conversation, Entry entry);
  }

  private final MemoryBudget budget;
  private final FinchstreamMetrics metrics;
  private final Evictions evictions;
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(64, 0.75f, true);

  HotStateCache(
      final MemoryBudget budget, final FinchstreamMetrics metrics, final Evictions evictions) {
    this.budget = budget;
    this.metrics = metrics;
    this.evictions = evictions;
  }

  /** The entry of {@code conversation} (marking it recently used), or null. */
  Entry get(final String conversation) {
    return entries.get(conversation);
  }

  /** Caches {@code state} for {@code conversation}, replacing any entry; may evict others. */
  Entry put(final String conversation, final ModelState state, final long incarnation) {
    remove(conversation);
    final Entry e = new Entry(state, incarnation);
    entries.put(conversation, e);
    charge(e);
    evict(conversation);
    return e;
  }

  /**
   * Makes {@code entry} (which a caller still holds, e.g. one computed while it was evicted) the
   * cached entry of {@code conversation} again.
   */
  void keep(final String conversation, final Entry entry) {
    if (entries.get(conversation) == entry) {
      return;
    }
    remove(conversation);
    entries.put(conversation, entry);
    charge(entry);
    evict(conversation);
  }

  /**
   * The history of {@code conversation} was cut behind its entry (a rewind): the entry stays valid
   * and now belongs to {@code incarnation}.
   */
  void reincarnate(final String conversation, final long incarnation) {
    final Entry e = entries.get(conversation);
    if (e != null) {
      e.incarnation = incarnation;
    }
  }

  /** Re-measures the entry's memory after its state grew (GoldFinch caches grow per token). */
  void remeasure(final String conversation) {
    final Entry e = entries.get(conversation);
    if (e != null) {
      charge(e);
      evict(conversation);
    }
  }

  void remove(final String conversation) {
    final Entry e = entries.remove(conversation);
    if (e != null) {
      release(e);
    }
  }

  /** Pins or unpins the entry (running generations must not lose their state between rounds). */
  void pin(final String conversation, final boolean pinned) {
    final Entry e = entries.get(conversation);
    if (e != null) {
      e.pinned = pinned;
    }
  }

  /** Drops everything and returns the memory to the budget (processor close). */
  void clear() {
    entries.values().forEach(this::release);
    entries.clear();
  }

  private void charge(final Entry e) {
    final long now = e.state.memoryBytes();
    final long delta = now - e.chargedBytes;
    e.chargedBytes = now;
    budget.charge(delta);
    metrics.hotBytes(delta);
  }

  private void release(final Entry e) {
    budget.charge(-e.chargedBytes);
    metrics.hotBytes(-e.chargedBytes);
    e.chargedBytes = 0;
  }

  private void evict(final String keep) {
    final Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
    while (budget.over() && it.hasNext()) {
      final Map.Entry<String, Entry> next = it.next();
      if (next.getValue().pinned || next.getKey().equals(keep)) {
        continue;
      }
      it.remove();
      release(next.getValue());
      metrics.hotEviction();
      evictions.evicted(next.getKey(), next.getValue());
    }
  }
}
