package io.finchstream.processors.conversation;

import com.google.protobuf.ByteString;
import io.finchstream.processors.event.Inbound;
import io.finchstream.proto.v1.BlobPart;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.DeferredEvent;
import io.finchstream.proto.v1.ForkCacheBlock;
import io.finchstream.proto.v1.ForkHeader;
import io.finchstream.proto.v1.ForkTokens;
import io.finchstream.proto.v1.ForkTransfer;
import io.finchstream.proto.v1.TokenLogRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * The durable form of a conversation as fork-transfer parts ({@code finchstream.forks}, keyed by
 * the new conversation id): metadata, snapshot parts, cache blocks, the token log since the
 * snapshot. Reading and writing the records is all it does; {@link ConversationLedger} decides
 * when.
 */
final class ForkTransfers {

  private ForkTransfers() {}

  /** The parts that carry {@code source} (metadata {@code meta}) to whoever owns the new id. */
  static List<ForkTransfer> export(
      final ConversationStores stores,
      final String source,
      final ConversationMeta meta,
      final Inbound in) {
    final List<ForkTransfer.Builder> parts = new ArrayList<>();
    final DeferredEvent.Builder original =
        DeferredEvent.newBuilder()
            .setOrigin(in.origin())
            .setKey(ByteString.copyFrom(in.rawKey()))
            .setValue(ByteString.copyFrom(in.rawValue()));
    parts.add(
        ForkTransfer.newBuilder()
            .setHeader(
                ForkHeader.newBuilder()
                    .setSourceConversationId(source)
                    .setSourceMeta(meta)
                    .setOriginal(original)));
    final long snapshot = meta.getSnapshotPosition();
    if (snapshot > 0) {
      for (final BlobPart p : stores.snapshots.parts(source, 0)) {
        parts.add(ForkTransfer.newBuilder().setSnapshot(p));
      }
      final int blockSize = meta.getCacheBlockSize();
      if (blockSize > 0) {
        for (long b = 0; b < (snapshot + blockSize - 1) / blockSize; b++) {
          for (final BlobPart p : stores.cache.parts(source, b)) {
            parts.add(
                ForkTransfer.newBuilder()
                    .setCacheBlock(ForkCacheBlock.newBuilder().setBlock((int) b).setPart(p)));
          }
        }
      }
    }
    for (long from = snapshot;
        from < meta.getTokens();
        from += ConversationStores.MAX_TOKENS_PER_RECORD) {
      final long to = Math.min(meta.getTokens(), from + ConversationStores.MAX_TOKENS_PER_RECORD);
      final TokenLogRecord.Builder rec = TokenLogRecord.newBuilder();
      for (final int id : stores.log.read(source, from, to)) {
        rec.addIds(id);
      }
      parts.add(
          ForkTransfer.newBuilder()
              .setTokens(ForkTokens.newBuilder().setStart(from).setRecord(rec)));
    }
    final String forkId = source + "@" + in.origin().getPartition() + ":" + in.origin().getOffset();
    final List<ForkTransfer> out = new ArrayList<>(parts.size());
    for (int i = 0; i < parts.size(); i++) {
      out.add(parts.get(i).setForkId(forkId).setPart(i).setParts(parts.size()).build());
    }
    return out;
  }

  /**
   * Writes the records of a complete transfer under {@code target}; returns the start of the token
   * log it wrote (the source's token count if it had none).
   */
  static long install(
      final ConversationStores stores,
      final String target,
      final ConversationMeta source,
      final List<ForkTransfer> parts) {
    long logStart = source.getTokens();
    for (final ForkTransfer t : parts) {
      switch (t.getContentCase()) {
        case SNAPSHOT -> stores.snapshots.putPart(target, 0, t.getSnapshot());
        case CACHE_BLOCK ->
            stores.cache.putPart(target, t.getCacheBlock().getBlock(), t.getCacheBlock().getPart());
        case TOKENS -> {
          stores.log.putRecord(target, t.getTokens().getStart(), t.getTokens().getRecord());
          logStart = Math.min(logStart, t.getTokens().getStart());
        }
        default -> {}
      }
    }
    return logStart;
  }
}
