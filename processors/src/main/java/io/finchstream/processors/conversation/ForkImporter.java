package io.finchstream.processors.conversation;

import com.google.protobuf.InvalidProtocolBufferException;
import io.finchstream.processors.store.StoreKey;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.DeferredEvent;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.EventOrigin;
import io.finchstream.proto.v1.ForkHeader;
import io.finchstream.proto.v1.ForkTransfer;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives fork transfers: stages the parts until the last one arrives (they were written in one
 * transaction, so all of them arrive), then installs the conversation, unless it already exists, in
 * which case the Fork is dead-lettered (CONVERSATION_EXISTS) and the source gets an Error reply.
 */
final class ForkImporter {

  private static final Logger LOG = LoggerFactory.getLogger(ForkImporter.class);

  private final ConversationStores stores;
  private final BatchedCompute compute;
  private final Outputs out;

  ForkImporter(final ConversationStores stores, final BatchedCompute compute, final Outputs out) {
    this.stores = stores;
    this.compute = compute;
    this.out = out;
  }

  /** Takes one part of a fork to {@code target} that came from {@code origin}. */
  void accept(final String target, final ForkTransfer part, final EventOrigin origin) {
    stores.forkStaging.put(StoreKey.of(part.getForkId(), part.getPart()), part);
    if (part.getPart() != part.getParts() - 1) {
      return;
    }
    final List<KeyValue<Bytes, ForkTransfer>> staged =
        stores.forkStaging.prefixScan(StoreKey.prefix(part.getForkId()));
    staged.forEach(kv -> stores.forkStaging.delete(kv.key));
    if (staged.size() != part.getParts() || !staged.get(0).value.hasHeader()) {
      LOG.error(
          "fork {} to {}: {} of {} parts arrived; dropping it",
          part.getForkId(),
          target,
          staged.size(),
          part.getParts());
      out.metrics().deadLetter(ErrorCode.INTERNAL.name());
      return;
    }
    final ForkHeader header = staged.get(0).value.getHeader();
    final DeferredEvent original = header.getOriginal();
    if (stores.meta(target) != null) {
      out.reject(
          header.getSourceConversationId(),
          original.getKey().toByteArray(),
          original.getValue().toByteArray(),
          original.getOrigin(),
          eventId(original),
          "",
          ErrorCode.CONVERSATION_EXISTS,
          "fork: the new conversation " + target + " already exists");
      return;
    }
    install(target, header, staged, origin);
  }

  private void install(
      final String target,
      final ForkHeader header,
      final List<KeyValue<Bytes, ForkTransfer>> staged,
      final EventOrigin origin) {
    final ConversationMeta source = header.getSourceMeta();
    long logStart = source.getTokens();
    for (final KeyValue<Bytes, ForkTransfer> kv : staged) {
      final ForkTransfer t = kv.value;
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
    final long now = out.nowMs();
    final ConversationMeta meta =
        source.toBuilder()
            .setIncarnation(Incarnations.of(origin))
            .setForkedFrom(header.getSourceConversationId())
            .setLastTopic(origin.getTopic())
            .setLastPartition(origin.getPartition())
            .setLastOffset(origin.getOffset())
            .setLastRequestId("")
            .setLogStart(logStart)
            .setEventsApplied(0)
            .setGenerationsFinished(0)
            .setCreatedAtMs(now)
            .setUpdatedAtMs(now)
            .build();
    stores.putMeta(target, meta);
    compute.markPending(target, meta.getTokens() - meta.getSnapshotPosition());
    out.metrics().event("fork_installed");
    LOG.debug(
        "fork installed: {} -> {} ({} tokens)",
        header.getSourceConversationId(),
        target,
        meta.getTokens());
  }

  private static String eventId(final DeferredEvent original) {
    try {
      return ConversationEvent.parseFrom(original.getValue()).getEventId();
    } catch (final InvalidProtocolBufferException e) {
      return "";
    }
  }
}
