package io.finchstream.processors.conversation;

import com.google.protobuf.ByteString;
import io.finchstream.processors.event.Inbound;
import io.finchstream.proto.v1.BlobPart;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.DeferredEvent;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.ForkCacheBlock;
import io.finchstream.proto.v1.ForkHeader;
import io.finchstream.proto.v1.ForkTokens;
import io.finchstream.proto.v1.ForkTransfer;
import io.finchstream.proto.v1.TokenLogRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * Sends a forked conversation's durable state (metadata, snapshot parts, cache blocks, the token
 * log since the snapshot) to {@code finchstream.forks}, keyed by the new conversation id, in the
 * Fork event's transaction: the task owning the new id, on whatever partition, installs it.
 */
final class ForkExporter {

  private final ConversationStores stores;
  private final StateLoader loader;
  private final Outputs out;

  ForkExporter(final ConversationStores stores, final StateLoader loader, final Outputs out) {
    this.stores = stores;
    this.loader = loader;
    this.out = out;
  }

  /** Exports {@code in}'s conversation to {@code target}, or rejects the Fork. */
  void export(final Inbound in, final String target) {
    final String source = in.conversationId();
    final ConversationMeta meta = stores.meta(source);
    if (meta == null) {
      out.reject(
          source,
          in.rawKey(),
          in.rawValue(),
          in.origin(),
          in.requestId(),
          in.replyTo(),
          ErrorCode.UNKNOWN_CONVERSATION,
          "fork: the source conversation " + source + " does not exist");
      return;
    }
    try {
      loader.checkModel(source, meta);
    } catch (final ModelMismatchException e) {
      out.reject(
          source,
          in.rawKey(),
          in.rawValue(),
          in.origin(),
          in.requestId(),
          in.replyTo(),
          ErrorCode.INTERNAL,
          e.getMessage());
      return;
    }
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
    for (int i = 0; i < parts.size(); i++) {
      out.fork(target, parts.get(i).setForkId(forkId).setPart(i).setParts(parts.size()).build());
    }
    stores.putMeta(
        source,
        meta.toBuilder()
            .setEventsApplied(meta.getEventsApplied() + 1)
            .setLastTopic(in.origin().getTopic())
            .setLastPartition(in.origin().getPartition())
            .setLastOffset(in.origin().getOffset())
            .setUpdatedAtMs(out.nowMs())
            .build());
    out.metrics().event("fork");
  }
}
