package io.finchstream.processors.conversation;

import io.finchstream.engine.ModelState;
import io.finchstream.engine.TokenCache;
import io.finchstream.processors.FinchstreamMetrics;
import io.finchstream.proto.v1.ConversationMeta;

/**
 * Takes snapshots: writes the recurrent state (split into parts) and the token-cache blocks that
 * changed since the previous snapshot, moves the metadata's snapshot position, and truncates the
 * token log below it, all in the current transaction. The policy: every {@code interval} computed
 * tokens, and at the end of a turn (when asked).
 */
final class Snapshotter {

  private final ConversationStores stores;
  private final FinchstreamMetrics metrics;
  private final long interval;
  private final boolean atTurnEnd;

  Snapshotter(
      final ConversationStores stores,
      final FinchstreamMetrics metrics,
      final long interval,
      final boolean atTurnEnd) {
    this.stores = stores;
    this.metrics = metrics;
    this.interval = interval;
    this.atTurnEnd = atTurnEnd;
  }

  /** Whether a state at {@code position} is due for a snapshot under {@code meta}. */
  boolean due(final long position, final ConversationMeta meta, final boolean turnEnded) {
    final long since = position - meta.getSnapshotPosition();
    if (since <= 0) {
      return false;
    }
    return since >= interval || (atTurnEnd && turnEnded && position == meta.getTokens());
  }

  /**
   * Snapshots {@code state} and stores the new metadata. The token log is truncated below {@code
   * min(position, keepFrom)}: a running generation keeps its tokens.
   */
  void snapshot(
      final String conversation,
      final ModelState state,
      final ConversationMeta meta,
      final long keepFrom) {
    final long position = state.position();
    final byte[] recurrent = state.recurrentBytes();
    final int parts = stores.snapshots.put(conversation, 0, position, recurrent);
    long written = recurrent.length;
    final TokenCache cache = state.cache();
    if (cache.size() > 0) {
      final int blockSize = cache.blockSize();
      final long first = meta.getSnapshotPosition() / blockSize;
      for (long b = first; b < cache.blockCount(); b++) {
        final byte[] block = cache.block((int) b);
        final long entries = Math.min(blockSize, cache.size() - b * blockSize);
        stores.cache.put(conversation, b, entries, block);
        written += block.length;
      }
    }
    final long logStart =
        stores.log.truncateBelow(conversation, meta.getLogStart(), Math.min(position, keepFrom));
    final ConversationMeta updated =
        meta.toBuilder()
            .setSnapshotPosition(position)
            .setSnapshotParts(parts)
            .setCacheBlockSize(cache.size() > 0 ? cache.blockSize() : meta.getCacheBlockSize())
            .setLogStart(logStart)
            .build();
    stores.putMeta(conversation, updated);
    metrics.snapshot(written);
  }
}
