package io.finchstream.processors.conversation;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.TokenCache;
import io.finchstream.processors.store.ChunkedBlobs;
import io.finchstream.processors.store.StoreCorruptedException;
import io.finchstream.proto.v1.BlobPart;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.SnapshotRef;
import io.finchstream.proto.v1.StateSnapshot;
import java.util.ArrayList;
import java.util.List;

/**
 * The snapshots of a task's conversations, keyed by position, and their token-cache blocks. A
 * snapshot at position {@code s} is a {@link StateSnapshot}: the recurrent state plus the cache
 * block that is partial at {@code s}; the full blocks {@code [0, s / blockSize)} are in the cache
 * store, written once and shared by every snapshot of the history (the cache is append-only by
 * position: an entry depends only on the tokens up to it). Going back to a turn drops the blocks
 * from the turn's block on ({@link #dropBlocksFrom}); they are written again, from the new history,
 * by the next snapshot. Used by the {@link ConversationLedger} only.
 */
final class SnapshotStore {

  /** What {@link #put} wrote. */
  record Written(SnapshotRef ref, long fullBlocks, long bytes) {}

  private final ChunkedBlobs snapshots;
  private final ChunkedBlobs cache;
  private final StatePrecision precision;

  SnapshotStore(
      final ChunkedBlobs snapshots, final ChunkedBlobs cache, final StatePrecision precision) {
    this.snapshots = snapshots;
    this.cache = cache;
    this.precision = precision;
  }

  /**
   * Stores {@code state} as a snapshot of {@code conversation}: the full cache blocks from {@code
   * fullBlocks} on that it completed, then the snapshot itself.
   *
   * @param fullBlocks full cache blocks already stored for this history
   * @param turn whether the position is a message boundary
   * @param messages messages complete at the position
   */
  Written put(
      final String conversation,
      final ModelState state,
      final long fullBlocks,
      final boolean turn,
      final long messages) {
    final long position = state.position();
    final TokenCache tokenCache = state.cache();
    long written = 0;
    long full = fullBlocks;
    byte[] partial = new byte[0];
    if (tokenCache.size() > 0) {
      final int blockSize = tokenCache.blockSize();
      final long complete = position / blockSize;
      for (long b = full; b < complete; b++) {
        final byte[] block = tokenCache.block((int) b);
        cache.put(conversation, b, blockSize, block);
        written += block.length;
      }
      full = Math.max(full, complete);
      if (position % blockSize != 0) {
        partial = tokenCache.block((int) complete);
      }
    }
    final byte[] value =
        StateSnapshot.newBuilder()
            .setRecurrent(ByteString.copyFrom(state.recurrentBytes(precision)))
            .setPartialBlock(ByteString.copyFrom(partial))
            .build()
            .toByteArray();
    final int parts = snapshots.put(conversation, position, position, value);
    written += value.length;
    final SnapshotRef ref =
        SnapshotRef.newBuilder()
            .setPosition(position)
            .setMessages(messages)
            .setTurn(turn)
            .setParts(parts)
            .setBytes(value.length)
            .build();
    return new Written(ref, full, written);
  }

  /**
   * The state of {@code conversation} at snapshot {@code ref} (full blocks from the cache store).
   *
   * @throws StoreCorruptedException when records are missing or inconsistent
   */
  ModelState restore(
      final LanguageModel model,
      final String conversation,
      final ConversationMeta meta,
      final SnapshotRef ref) {
    return restore(model, conversation, meta, ref, null);
  }

  /**
   * The state of {@code conversation} at snapshot {@code ref}, its token cache taken from {@code
   * later} (a state of the same history at or past the snapshot, e.g. the hot state a rewind goes
   * back from) instead of the cache store when it is given: no cache block is read, and what the
   * cache had computed is kept ({@link LanguageModel#restoreState(byte[], ModelState)}).
   *
   * @throws StoreCorruptedException when records are missing or inconsistent
   */
  ModelState restore(
      final LanguageModel model,
      final String conversation,
      final ConversationMeta meta,
      final SnapshotRef ref,
      final ModelState later) {
    final long position = ref.getPosition();
    final ChunkedBlobs.Blob blob = snapshots.get(conversation, position);
    if (blob == null || blob.version() != position) {
      throw new StoreCorruptedException(
          "conversation "
              + conversation
              + ": the snapshot at position "
              + position
              + " is "
              + (blob == null ? "missing" : "at position " + blob.version()));
    }
    final StateSnapshot snapshot;
    try {
      snapshot = StateSnapshot.parseFrom(blob.data());
    } catch (final InvalidProtocolBufferException e) {
      throw new StoreCorruptedException(
          "conversation " + conversation + ": the snapshot at " + position + " does not parse", e);
    }
    if (later != null) {
      return checkedPosition(
          conversation, position, model.restoreState(snapshot.getRecurrent().toByteArray(), later));
    }
    final List<byte[]> blocks = new ArrayList<>();
    final int blockSize = meta.getCacheBlockSize();
    if (blockSize > 0) {
      for (long b = 0; b < position / blockSize; b++) {
        final ChunkedBlobs.Blob block = cache.get(conversation, b);
        if (block == null) {
          throw new StoreCorruptedException(
              "conversation " + conversation + ": cache block " + b + " is missing");
        }
        blocks.add(block.data());
      }
    }
    if (!snapshot.getPartialBlock().isEmpty()) {
      blocks.add(snapshot.getPartialBlock().toByteArray());
    }
    return checkedPosition(
        conversation, position, model.restoreState(snapshot.getRecurrent().toByteArray(), blocks));
  }

  private static ModelState checkedPosition(
      final String conversation, final long position, final ModelState state) {
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

  /** Deletes the snapshot of {@code conversation} at {@code position}. */
  void delete(final String conversation, final long position) {
    snapshots.delete(conversation, position);
  }

  /** Deletes the cache blocks of {@code conversation} from block {@code from} on. */
  void dropBlocksFrom(final String conversation, final long from) {
    cache.deleteFrom(conversation, from);
  }

  /** The stored parts of a snapshot (a fork transfer carries them as they are). */
  List<BlobPart> snapshotParts(final String conversation, final long position) {
    return snapshots.parts(conversation, position);
  }

  /** The stored parts of a full cache block. */
  List<BlobPart> blockParts(final String conversation, final long block) {
    return cache.parts(conversation, block);
  }

  /** Stores a part as it is (a fork's copy). */
  void putSnapshotPart(final String conversation, final long position, final BlobPart part) {
    snapshots.putPart(conversation, position, part);
  }

  /** Stores a block part as it is (a fork's copy). */
  void putBlockPart(final String conversation, final long block, final BlobPart part) {
    cache.putPart(conversation, block, part);
  }

  /** Deletes every snapshot and block of {@code conversation}. */
  void deleteAll(final String conversation) {
    snapshots.deleteAll(conversation);
    cache.deleteAll(conversation);
  }

  /**
   * Moves a conversation stored by the first layout (one snapshot at index 0, its partial block in
   * the cache store) to the current one, without computing anything: the snapshot's bytes become a
   * {@link StateSnapshot} at its position with the partial block inside it; returns its reference
   * and the number of full blocks.
   */
  Written upgrade(final String conversation, final ConversationMeta meta) {
    final long position = meta.getSnapshotPosition();
    final ChunkedBlobs.Blob recurrent = snapshots.get(conversation, 0);
    if (recurrent == null || recurrent.version() != position) {
      throw new StoreCorruptedException(
          "conversation "
              + conversation
              + ": the snapshot at position "
              + position
              + " is missing");
    }
    final int blockSize = meta.getCacheBlockSize();
    byte[] partial = new byte[0];
    long full = 0;
    if (blockSize > 0) {
      full = position / blockSize;
      if (position % blockSize != 0) {
        final ChunkedBlobs.Blob block = cache.get(conversation, full);
        if (block == null) {
          throw new StoreCorruptedException(
              "conversation " + conversation + ": cache block " + full + " is missing");
        }
        partial = block.data();
      }
      cache.deleteFrom(conversation, full);
    }
    final byte[] value =
        StateSnapshot.newBuilder()
            .setRecurrent(ByteString.copyFrom(recurrent.data()))
            .setPartialBlock(ByteString.copyFrom(partial))
            .build()
            .toByteArray();
    snapshots.delete(conversation, 0);
    final int parts = snapshots.put(conversation, position, position, value);
    return new Written(
        SnapshotRef.newBuilder()
            .setPosition(position)
            .setParts(parts)
            .setBytes(value.length)
            .build(),
        full,
        value.length);
  }
}
