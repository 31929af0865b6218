package io.finchstream.processors.testing;

import com.google.protobuf.InvalidProtocolBufferException;
import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.processors.StoreNames;
import io.finchstream.processors.store.BinaryStore;
import io.finchstream.processors.store.ChunkedBlobs;
import io.finchstream.processors.store.MessageTexts;
import io.finchstream.processors.store.ProtoStore;
import io.finchstream.processors.store.StoreKey;
import io.finchstream.processors.store.TokenLog;
import io.finchstream.proto.v1.BlobPart;
import io.finchstream.proto.v1.Checkpoint;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.MessageText;
import io.finchstream.proto.v1.StateSnapshot;
import io.finchstream.proto.v1.TokenLogRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Reads a conversation's state of record (snapshot + token log) from the stores, or from copies of
 * their changelogs, and rebuilds the model state from it, independently of the service's own
 * loading code: restore the snapshot, ingest the tail in one call.
 */
public final class DurableState {

  private final ProtoStore<ConversationMeta> meta;
  private final TokenLog log;
  private final ChunkedBlobs snapshots;
  private final ChunkedBlobs cache;
  private final ProtoStore<Checkpoint> checkpoints;
  private final ProtoStore<MessageText> texts;

  /**
   * @param open opens the store of a {@link StoreNames} name
   */
  public DurableState(final Function<String, BinaryStore> open) {
    meta =
        new ProtoStore<>(StoreNames.META, open.apply(StoreNames.META), ConversationMeta.parser());
    log =
        new TokenLog(
            new ProtoStore<>(
                StoreNames.TOKENS, open.apply(StoreNames.TOKENS), TokenLogRecord.parser()),
            65_536);
    snapshots =
        new ChunkedBlobs(
            new ProtoStore<>(
                StoreNames.SNAPSHOTS, open.apply(StoreNames.SNAPSHOTS), BlobPart.parser()),
            900_000);
    cache =
        new ChunkedBlobs(
            new ProtoStore<>(StoreNames.CACHE, open.apply(StoreNames.CACHE), BlobPart.parser()),
            900_000);
    checkpoints =
        new ProtoStore<>(
            StoreNames.CHECKPOINTS, open.apply(StoreNames.CHECKPOINTS), Checkpoint.parser());
    texts = new ProtoStore<>(StoreNames.TEXTS, open.apply(StoreNames.TEXTS), MessageText.parser());
  }

  /** A stored message: its checkpoint and its text. */
  public record StoredMessage(long index, Checkpoint checkpoint, String text) {}

  /** The messages of {@code conversation} that have a record, in order. */
  public List<StoredMessage> messages(final String conversation) {
    final List<StoredMessage> out = new ArrayList<>();
    for (final var kv : checkpoints.prefixScan(StoreKey.prefix(conversation))) {
      final long index = StoreKey.index(kv.key);
      final MessageText text = texts.get(StoreKey.of(conversation, index));
      out.add(new StoredMessage(index, kv.value, text == null ? null : MessageTexts.decode(text)));
    }
    return out;
  }

  /** The conversation's metadata, or null. */
  public ConversationMeta meta(final String conversation) {
    return meta.get(StoreKey.id(conversation));
  }

  /** The tokens [from, to) of the conversation's log. */
  public int[] tokens(final String conversation, final long from, final long to) {
    return log.read(conversation, from, to);
  }

  /** The records of the conversation's log (after truncation). */
  public List<TokenLog.Entry> logEntries(final String conversation) {
    return log.entriesFrom(conversation, 0);
  }

  /** The state of record of {@code conversation}: newest snapshot restored, tail ingested. */
  public ModelState rebuild(final LanguageModel model, final String conversation) {
    final ConversationMeta m = meta(conversation);
    if (m == null) {
      throw new AssertionError("conversation " + conversation + " has no metadata");
    }
    final ModelState state =
        m.getSnapshotPosition() == 0
            ? model.newState()
            : restore(model, conversation, m, m.getSnapshotPosition());
    final int[] tail = log.read(conversation, m.getSnapshotPosition(), m.getTokens());
    if (tail.length > 0) {
      model.ingest(List.of(state), List.of(tail));
    }
    return state;
  }

  /**
   * The state at a retained snapshot of {@code conversation} (full cache blocks from the cache
   * store, the partial one from the snapshot).
   */
  public ModelState restore(
      final LanguageModel model,
      final String conversation,
      final ConversationMeta m,
      final long position) {
    final ChunkedBlobs.Blob blob = snapshots.get(conversation, position);
    if (blob == null || blob.version() != position) {
      throw new AssertionError("snapshot of " + conversation + " at " + position + " is missing");
    }
    final StateSnapshot snapshot;
    try {
      snapshot = StateSnapshot.parseFrom(blob.data());
    } catch (final InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
    final List<byte[]> blocks = new ArrayList<>();
    if (m.getCacheBlockSize() > 0) {
      for (long b = 0; b < position / m.getCacheBlockSize(); b++) {
        blocks.add(cache.get(conversation, b).data());
      }
    }
    if (!snapshot.getPartialBlock().isEmpty()) {
      blocks.add(snapshot.getPartialBlock().toByteArray());
    }
    return model.restoreState(snapshot.getRecurrent().toByteArray(), blocks);
  }
}
