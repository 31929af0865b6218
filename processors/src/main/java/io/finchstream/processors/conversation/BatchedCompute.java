package io.finchstream.processors.conversation;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.processors.FinchstreamException;
import io.finchstream.processors.FinchstreamMetrics;
import io.finchstream.proto.v1.ConversationMeta;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Computes the tokens that are durable in the log but not yet in a state: many conversations
 * together, each by its own tokens only, through one batched {@link LanguageModel#ingest} call per
 * round. Conversations waiting for a generation go first; the others take turns in arrival order. A
 * round stops at a deadline so that the stream thread stays responsive; how many tokens fit is
 * learnt from the measured rate. Snapshots are taken here when due.
 *
 * <p>Correctness never depends on when this runs: the state of record is snapshot + log, and the
 * engine gives bit-identical states whatever the batch composition or chunking.
 */
final class BatchedCompute {

  private static final Logger LOG = LoggerFactory.getLogger(BatchedCompute.class);

  private final LanguageModel model;
  private final ConversationStores stores;
  private final StateLoader loader;
  private final HotStateCache cache;
  private final Snapshotter snapshotter;
  private final FinchstreamMetrics metrics;
  private final int maxConversations;
  private final int maxTokens;

  /** Conversations with pending tokens → whether they are urgent (a generation waits). */
  private final LinkedHashMap<String, Boolean> pending = new LinkedHashMap<>();

  /** Conversations whose turn ended: snapshot when fully computed. */
  private final Set<String> turnEnded = new HashSet<>();

  private Predicate<String> ownedByGeneration = c -> false;
  private ToLongFunction<String> keepLogFrom = c -> Long.MAX_VALUE;
  private long pendingEstimate;

  /** Measured engine throughput, tokens per second (exponential average). */
  private double tokensPerSecond = 2000;

  BatchedCompute(
      final LanguageModel model,
      final ConversationStores stores,
      final StateLoader loader,
      final HotStateCache cache,
      final Snapshotter snapshotter,
      final FinchstreamMetrics metrics,
      final int maxConversations,
      final int maxTokens) {
    this.model = model;
    this.stores = stores;
    this.loader = loader;
    this.cache = cache;
    this.snapshotter = snapshotter;
    this.metrics = metrics;
    this.maxConversations = maxConversations;
    this.maxTokens = maxTokens;
  }

  /**
   * Conversations a running generation advances itself ({@code owned}), and the log position below
   * which a snapshot may not truncate ({@code keepFrom}).
   */
  void coordinate(final Predicate<String> owned, final ToLongFunction<String> keepFrom) {
    this.ownedByGeneration = owned;
    this.keepLogFrom = keepFrom;
  }

  /** {@code conversation} got {@code tokens} new tokens to compute. */
  void markPending(final String conversation, final long tokens) {
    pending.putIfAbsent(conversation, Boolean.FALSE);
    pendingEstimate += tokens;
  }

  /** A generation waits for {@code conversation}'s state: compute it first. */
  void markUrgent(final String conversation) {
    pending.put(conversation, Boolean.TRUE);
  }

  /** The conversation's turn ended: take a snapshot once its state is computed. */
  void markTurnEnded(final String conversation) {
    turnEnded.add(conversation);
    pending.putIfAbsent(conversation, Boolean.FALSE);
  }

  /** The conversation was reset or deleted. */
  void forget(final String conversation) {
    pending.remove(conversation);
    turnEnded.remove(conversation);
  }

  /** Roughly how many tokens wait (triggers an early round). */
  long pendingEstimate() {
    return pendingEstimate;
  }

  /** Runs batched rounds until nothing is pending or {@code deadlineNanos}. */
  void run(final long deadlineNanos) {
    while (!pending.isEmpty() && System.nanoTime() < deadlineNanos) {
      if (round(deadlineNanos) < 0) {
        break;
      }
    }
    if (pending.isEmpty()) {
      pendingEstimate = 0;
    }
  }

  /** One batched ingest; returns the tokens computed, or -1 if there was nothing to compute. */
  private long round(final long deadlineNanos) {
    final List<Work> batch = selectBatch(deadlineNanos);
    if (batch.isEmpty()) {
      return pending.isEmpty() ? -1 : 0;
    }
    final List<ModelState> states = new ArrayList<>(batch.size());
    final List<int[]> tokens = new ArrayList<>(batch.size());
    long count = 0;
    for (final Work w : batch) {
      states.add(w.entry.state);
      tokens.add(w.tokens);
      count += w.tokens.length;
    }
    final long t0 = System.nanoTime();
    model.ingest(states, tokens);
    final long dt = Math.max(1, System.nanoTime() - t0);
    tokensPerSecond = 0.7 * tokensPerSecond + 0.3 * (count * 1e9 / dt);
    metrics.engineTime(dt);
    metrics.batch(batch.size(), count);
    metrics.tokensComputed(count);
    pendingEstimate = Math.max(0, pendingEstimate - count);
    for (final Work w : batch) {
      cache.keep(w.conversation, w.entry);
      cache.remeasure(w.conversation);
      final ConversationMeta fresh = stores.meta(w.conversation);
      if (fresh != null) {
        afterCompute(w.conversation, w.entry, fresh);
      }
    }
    return count;
  }

  /**
   * Picks up to maxConversations conversations with work, urgent ones first, and reads their
   * tokens.
   */
  private List<Work> selectBatch(final long deadlineNanos) {
    final double seconds = Math.max(0.001, (deadlineNanos - System.nanoTime()) / 1e9);
    final long budget = Math.max(1, (long) (tokensPerSecond * seconds));
    final List<String> candidates = candidates();
    final long share =
        Math.max(
            1,
            Math.min(
                maxTokens, budget / Math.max(1, Math.min(candidates.size(), maxConversations))));
    final List<Work> batch = new ArrayList<>();
    for (final String conversation : candidates) {
      if (batch.size() >= maxConversations) {
        break;
      }
      try {
        final Work w = work(conversation, share);
        if (w != null) {
          batch.add(w);
          pending.remove(conversation);
          if (w.meta.getTokens() > w.entry.position() + w.tokens.length) {
            pending.put(conversation, w.urgent);
          }
        }
      } catch (final FinchstreamException e) {
        LOG.error(
            "conversation {}: cannot compute its pending tokens, skipping it until its next event: {}",
            conversation,
            e.getMessage());
        forget(conversation);
      }
    }
    return batch;
  }

  private List<String> candidates() {
    final List<String> urgent = new ArrayList<>();
    final List<String> normal = new ArrayList<>();
    for (final Map.Entry<String, Boolean> e : pending.entrySet()) {
      (e.getValue() ? urgent : normal).add(e.getKey());
    }
    urgent.addAll(normal);
    return urgent;
  }

  /** The work for one conversation, or null (and it leaves the pending set) if it has none. */
  private Work work(final String conversation, final long share) {
    final Boolean urgent = pending.get(conversation);
    final ConversationMeta meta = stores.meta(conversation);
    if (meta == null || ownedByGeneration.test(conversation)) {
      forgetPending(conversation);
      return null;
    }
    final HotStateCache.Entry entry = loader.load(conversation, meta);
    final long position = entry.position();
    if (position >= meta.getTokens()) {
      forgetPending(conversation);
      afterCompute(conversation, entry, meta);
      return null;
    }
    final int n = (int) Math.min(meta.getTokens() - position, share);
    return new Work(
        conversation,
        meta,
        entry,
        stores.log.read(conversation, position, position + n),
        urgent != null && urgent);
  }

  private void forgetPending(final String conversation) {
    pending.remove(conversation);
  }

  private void afterCompute(
      final String conversation, final HotStateCache.Entry entry, final ConversationMeta meta) {
    final long position = entry.position();
    final boolean turn = turnEnded.contains(conversation);
    if (snapshotter.due(position, meta, turn)) {
      snapshotter.snapshot(conversation, entry.state, meta, keepLogFrom.applyAsLong(conversation));
    }
    if (position >= meta.getTokens()) {
      turnEnded.remove(conversation);
    }
  }

  /** Tokens [position, position + tokens.length) of one conversation, for one batched call. */
  private record Work(
      String conversation,
      ConversationMeta meta,
      HotStateCache.Entry entry,
      int[] tokens,
      boolean urgent) {}

  /**
   * An entry is being evicted: if it holds computed tokens the stores have no snapshot of, take one
   * now, so that the work is not lost (and a small cache cannot livelock on recomputation).
   */
  void spill(final String conversation, final HotStateCache.Entry entry) {
    final ConversationMeta meta = stores.meta(conversation);
    if (meta != null
        && meta.getIncarnation() == entry.incarnation
        && entry.position() > meta.getSnapshotPosition()
        && entry.position() <= meta.getTokens()) {
      snapshotter.snapshot(conversation, entry.state, meta, keepLogFrom.applyAsLong(conversation));
    }
  }
}
