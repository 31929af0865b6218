package io.finchstream.processors.conversation;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.processors.FinchstreamMetrics;
import io.finchstream.processors.store.ChunkedBlobs;
import io.finchstream.processors.store.StoreCorruptedException;
import io.finchstream.proto.v1.ConversationMeta;
import java.util.ArrayList;
import java.util.List;

/**
 * Gives the in-memory state of a conversation, at some position between its snapshot and the end of
 * its token log: the hot entry if it agrees with the stored metadata (same incarnation, position
 * within [snapshot, tokens]), otherwise the snapshot restored from the stores (the tokens after it
 * are then pending, and computed by {@link BatchedCompute} like any other pending tokens).
 */
final class StateLoader {

  private final LanguageModel model;
  private final ConversationStores stores;
  private final HotStateCache cache;
  private final FinchstreamMetrics metrics;

  StateLoader(
      final LanguageModel model,
      final ConversationStores stores,
      final HotStateCache cache,
      final FinchstreamMetrics metrics) {
    this.model = model;
    this.stores = stores;
    this.cache = cache;
    this.metrics = metrics;
  }

  /** The model id every conversation of this service must have. */
  String modelId() {
    return model.info().id();
  }

  /** Throws unless {@code meta} belongs to the served model. */
  void checkModel(final String conversation, final ConversationMeta meta) {
    if (!meta.getModelId().equals(modelId())) {
      throw new ModelMismatchException(conversation, meta.getModelId(), modelId());
    }
  }

  /**
   * The conversation's state (hot or restored).
   *
   * @throws ModelMismatchException if the conversation belongs to another model
   * @throws StoreCorruptedException if the snapshot cannot be read back
   */
  HotStateCache.Entry load(final String conversation, final ConversationMeta meta) {
    checkModel(conversation, meta);
    final HotStateCache.Entry hot = cache.get(conversation);
    if (hot != null
        && hot.incarnation == meta.getIncarnation()
        && hot.position() >= meta.getSnapshotPosition()
        && hot.position() <= meta.getTokens()) {
      metrics.hotHit();
      return hot;
    }
    metrics.hotMiss();
    return cache.put(conversation, restore(conversation, meta), meta.getIncarnation());
  }

  private ModelState restore(final String conversation, final ConversationMeta meta) {
    final long position = meta.getSnapshotPosition();
    if (position == 0) {
      return model.newState();
    }
    final ChunkedBlobs.Blob recurrent = stores.snapshots.get(conversation, 0);
    if (recurrent == null || recurrent.version() != position) {
      throw new StoreCorruptedException(
          "conversation "
              + conversation
              + ": the snapshot at position "
              + position
              + " is "
              + (recurrent == null ? "missing" : "at position " + recurrent.version()));
    }
    final List<byte[]> blocks = new ArrayList<>();
    final int blockSize = meta.getCacheBlockSize();
    if (blockSize > 0) {
      final long count = (position + blockSize - 1) / blockSize;
      for (long b = 0; b < count; b++) {
        final ChunkedBlobs.Blob block = stores.cache.get(conversation, b);
        if (block == null) {
          throw new StoreCorruptedException(
              "conversation " + conversation + ": cache block " + b + " is missing");
        }
        blocks.add(block.data());
      }
    }
    final ModelState state = model.restoreState(recurrent.data(), blocks);
    if (state.position() != position) {
      throw new StoreCorruptedException(
          "conversation "
              + conversation
              + ": the snapshot says position "
              + position
              + " but restores to "
              + state.position());
    }
    return state;
  }
}
