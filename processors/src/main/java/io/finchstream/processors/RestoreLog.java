package io.finchstream.processors;

import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs and counts every restore of a store partition from its changelog (how long, how many
 * records): what a move, a wiped state or a crash costs ({@code finchstream.restore*} meters).
 */
final class RestoreLog implements StateRestoreListener {

  private static final Logger LOG = LoggerFactory.getLogger(RestoreLog.class);

  private final FinchstreamMetrics metrics;
  private final ConcurrentHashMap<TopicPartition, Start> started = new ConcurrentHashMap<>();

  private record Start(long nanos, long fromOffset, long toOffset) {}

  RestoreLog(final FinchstreamMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void onRestoreStart(
      final TopicPartition partition,
      final String store,
      final long startingOffset,
      final long endingOffset) {
    started.put(partition, new Start(System.nanoTime(), startingOffset, endingOffset));
    LOG.debug(
        "restoring {} from {} offsets {}..{}", store, partition, startingOffset, endingOffset);
  }

  @Override
  public void onBatchRestored(
      final TopicPartition partition,
      final String store,
      final long batchEndOffset,
      final long numRestored) {
    // counted at the end
  }

  @Override
  public void onRestoreEnd(
      final TopicPartition partition, final String store, final long totalRestored) {
    final Start start = started.remove(partition);
    final long nanos = start == null ? 0 : System.nanoTime() - start.nanos();
    metrics.restored(store, totalRestored, nanos);
    if (totalRestored > 0 && start != null) {
      LOG.info(
          "restored {} records of {} (partition {}, changelog offsets {} to {}) in {} ms",
          totalRestored,
          store,
          partition.partition(),
          start.fromOffset(),
          start.toOffset(),
          nanos / 1_000_000);
    }
  }

  @Override
  public void onRestoreSuspended(
      final TopicPartition partition, final String store, final long totalRestored) {
    started.remove(partition);
    LOG.info(
        "restore of {} (partition {}) suspended after {} records (the task moved)",
        store,
        partition.partition(),
        totalRestored);
  }
}
