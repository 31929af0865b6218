package io.finchstream.processors.conversation;

import io.finchstream.processors.FinchstreamMetrics;
import io.finchstream.processors.StoreNames;
import io.finchstream.processors.store.BinaryStore;
import io.finchstream.processors.store.ByteCountingStore;
import io.finchstream.processors.store.ChunkedBlobs;
import io.finchstream.processors.store.KafkaBinaryStore;
import io.finchstream.processors.store.ProtoStore;
import io.finchstream.processors.store.StoreKey;
import io.finchstream.processors.store.TokenLog;
import io.finchstream.proto.v1.BlobPart;
import io.finchstream.proto.v1.Checkpoint;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.DeferredEvent;
import io.finchstream.proto.v1.DigestEntry;
import io.finchstream.proto.v1.ForkSettled;
import io.finchstream.proto.v1.ForkTransfer;
import io.finchstream.proto.v1.GenerationProgress;
import io.finchstream.proto.v1.MessageText;
import io.finchstream.proto.v1.TokenLogRecord;
import java.util.function.Function;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.ProcessingContext;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Typed views of a task's state stores ({@link StoreNames}), each counting the bytes it writes. One
 * instance per processor instance (per task), created in {@code init()}.
 */
final class ConversationStores {

  /** Longest token-log record: bounds a record to ~320 KB even with 5-byte varints. */
  static final int MAX_TOKENS_PER_RECORD = 65_536;

  final ProtoStore<ConversationMeta> meta;
  final TokenLog log;
  final ChunkedBlobs snapshots;
  final ChunkedBlobs cache;
  final ProtoStore<GenerationProgress> generations;
  final ProtoStore<DeferredEvent> deferred;
  final ProtoStore<ForkTransfer> forkStaging;
  final ProtoStore<ForkSettled> forkSettled;
  final ProtoStore<Checkpoint> checkpoints;
  final ProtoStore<MessageText> texts;
  final ProtoStore<DigestEntry> digests;

  ConversationStores(final Function<String, BinaryStore> open, final int partBytes) {
    meta =
        new ProtoStore<>(StoreNames.META, open.apply(StoreNames.META), ConversationMeta.parser());
    log =
        new TokenLog(
            new ProtoStore<>(
                StoreNames.TOKENS, open.apply(StoreNames.TOKENS), TokenLogRecord.parser()),
            MAX_TOKENS_PER_RECORD);
    snapshots =
        new ChunkedBlobs(
            new ProtoStore<>(
                StoreNames.SNAPSHOTS, open.apply(StoreNames.SNAPSHOTS), BlobPart.parser()),
            partBytes);
    cache =
        new ChunkedBlobs(
            new ProtoStore<>(StoreNames.CACHE, open.apply(StoreNames.CACHE), BlobPart.parser()),
            partBytes);
    generations =
        new ProtoStore<>(
            StoreNames.GENERATIONS,
            open.apply(StoreNames.GENERATIONS),
            GenerationProgress.parser());
    deferred =
        new ProtoStore<>(
            StoreNames.DEFERRED, open.apply(StoreNames.DEFERRED), DeferredEvent.parser());
    forkStaging =
        new ProtoStore<>(
            StoreNames.FORK_STAGING, open.apply(StoreNames.FORK_STAGING), ForkTransfer.parser());
    forkSettled =
        new ProtoStore<>(
            StoreNames.FORK_SETTLED, open.apply(StoreNames.FORK_SETTLED), ForkSettled.parser());
    checkpoints =
        new ProtoStore<>(
            StoreNames.CHECKPOINTS, open.apply(StoreNames.CHECKPOINTS), Checkpoint.parser());
    texts = new ProtoStore<>(StoreNames.TEXTS, open.apply(StoreNames.TEXTS), MessageText.parser());
    digests =
        new ProtoStore<>(StoreNames.DIGESTS, open.apply(StoreNames.DIGESTS), DigestEntry.parser());
  }

  /** The stores of the task {@code context} belongs to, counted into {@code metrics}. */
  static ConversationStores of(
      final ProcessingContext context, final int partBytes, final FinchstreamMetrics metrics) {
    return new ConversationStores(
        name -> {
          final KeyValueStore<Bytes, byte[]> store = context.getStateStore(name);
          return new ByteCountingStore(
              new KafkaBinaryStore(store), bytes -> metrics.storeBytes(name, bytes));
        },
        partBytes);
  }

  /** The conversation's metadata, or null if it does not exist. */
  ConversationMeta meta(final String conversation) {
    return meta.get(StoreKey.id(conversation));
  }

  void putMeta(final String conversation, final ConversationMeta value) {
    meta.put(StoreKey.id(conversation), value);
  }

  /** The conversation's running generation, or null. */
  GenerationProgress generation(final String conversation) {
    return generations.get(StoreKey.id(conversation));
  }
}
