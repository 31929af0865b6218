package io.finchstream.processors.conversation;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.processors.FinchstreamMetrics;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Computes the tokens that are durable in the log but not yet in a state: many conversations
 * together, each by its own tokens only, through one batched {@link LanguageModel#ingest} call per
 * round. Which conversations have work, and which tokens, the owner of the states says ({@link
 * PendingWork}); this class only batches: a round stops at a deadline so that the stream thread
 * stays responsive, and how many tokens fit is learnt from the measured rate.
 *
 * <p>Correctness never depends on when this runs: the state of record is snapshot + log, and the
 * engine gives bit-identical states whatever the batch composition or chunking.
 */
final class BatchedCompute {

  private static final Logger LOG = LoggerFactory.getLogger(BatchedCompute.class);

  private final LanguageModel model;
  private final PendingWork source;
  private final FinchstreamMetrics metrics;
  private final int maxConversations;
  private final int maxTokens;

  /** Measured engine throughput, tokens per second (exponential average). */
  private double tokensPerSecond = 2000;

  /** Whether a generation's prefill was completed since {@link #takeReadied}. */
  private boolean readied;

  BatchedCompute(
      final LanguageModel model,
      final PendingWork source,
      final FinchstreamMetrics metrics,
      final int maxConversations,
      final int maxTokens) {
    this.model = model;
    this.source = source;
    this.metrics = metrics;
    this.maxConversations = maxConversations;
    this.maxTokens = maxTokens;
  }

  /**
   * Runs batched rounds until nothing is pending or {@code deadlineNanos}; returns tokens computed.
   */
  long run(final long deadlineNanos) {
    return run(deadlineNanos, false);
  }

  /**
   * Like {@link #run}, but only for the conversations a generation waits for (while records arrive,
   * the rest waits: a turn's time to first token is this prefill).
   */
  long runUrgent(final long deadlineNanos) {
    return run(deadlineNanos, true);
  }

  /**
   * Whether the prefill of a generation was completed since the last call: it can decode now, so a
   * running decode cycle should end soon for it to join the next one.
   */
  boolean takeReadied() {
    final boolean r = readied;
    readied = false;
    return r;
  }

  private long run(final long deadlineNanos, final boolean urgentOnly) {
    long total = 0;
    while (System.nanoTime() < deadlineNanos) {
      final long n = round(deadlineNanos, urgentOnly);
      if (n < 0) {
        break;
      }
      total += n;
    }
    return total;
  }

  /** One batched ingest; returns the tokens computed, or -1 if there was nothing to compute. */
  private long round(final long deadlineNanos, final boolean urgentOnly) {
    final List<String> candidates = urgentOnly ? source.urgent() : source.pending();
    final List<String> urgent = urgentOnly ? candidates : source.urgent();
    if (candidates.isEmpty()) {
      return -1;
    }
    final double seconds = Math.max(0.001, (deadlineNanos - System.nanoTime()) / 1e9);
    final long budget = Math.max(1, (long) (tokensPerSecond * seconds));
    final int share =
        (int)
            Math.max(
                1,
                Math.min(
                    maxTokens,
                    budget / Math.max(1, Math.min(candidates.size(), maxConversations))));
    final List<PendingWork.Work> batch = new ArrayList<>();
    for (final String conversation : candidates) {
      if (batch.size() >= maxConversations) {
        break;
      }
      final PendingWork.Work w = source.work(conversation, share);
      if (w != null) {
        batch.add(w);
      }
    }
    if (batch.isEmpty()) {
      return 0;
    }
    final List<ModelState> states = new ArrayList<>(batch.size());
    final List<int[]> tokens = new ArrayList<>(batch.size());
    long count = 0;
    for (final PendingWork.Work w : batch) {
      states.add(w.state());
      tokens.add(w.tokens());
      count += w.tokens().length;
    }
    final long t0 = System.nanoTime();
    try {
      model.ingest(states, tokens);
    } catch (final RuntimeException e) {
      LOG.error("batched ingest of {} conversations failed", batch.size(), e);
      batch.forEach(w -> source.failed(w, e));
      return 0;
    }
    final long dt = Math.max(1, System.nanoTime() - t0);
    tokensPerSecond = 0.7 * tokensPerSecond + 0.3 * (count * 1e9 / dt);
    metrics.engineTime(dt);
    metrics.batch(batch.size(), count);
    metrics.tokensComputed(count);
    for (final PendingWork.Work w : batch) {
      source.computed(w);
      readied |= urgent.contains(w.conversation()) && !source.computing(w.conversation());
    }
    return count;
  }
}
