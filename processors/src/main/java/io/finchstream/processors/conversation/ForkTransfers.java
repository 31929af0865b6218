package io.finchstream.processors.conversation;

import com.google.protobuf.ByteString;
import io.finchstream.processors.event.Inbound;
import io.finchstream.proto.v1.BlobPart;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.DeferredEvent;
import io.finchstream.proto.v1.ForkCacheBlock;
import io.finchstream.proto.v1.ForkHeader;
import io.finchstream.proto.v1.ForkMessage;
import io.finchstream.proto.v1.ForkTokens;
import io.finchstream.proto.v1.ForkTransfer;
import io.finchstream.proto.v1.MessageText;
import io.finchstream.proto.v1.TokenLogRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * A branch of a conversation as fork-transfer parts ({@code finchstream.forks}, keyed by the new
 * conversation id): the new conversation's metadata, the snapshot at or below the branch's turn,
 * the full cache blocks below it, the token log from it to the turn, and the checkpoints and texts
 * of the messages. Reading and writing the records is all it does; the {@link ConversationLedger}
 * decides when.
 */
final class ForkTransfers {

  private ForkTransfers() {}

  /** The parts that carry {@code branch} of {@code source} to whoever owns the new id. */
  static List<ForkTransfer> export(
      final ConversationLedger ledger,
      final String source,
      final Branches.Branch branch,
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
                    .setSourceMeta(branch.meta())
                    .setOriginal(original)));
    final long snapshot = branch.meta().getSnapshotPosition();
    if (branch.snapshot() != null) {
      for (final BlobPart p : ledger.snapshotStore().snapshotParts(source, snapshot)) {
        parts.add(ForkTransfer.newBuilder().setSnapshot(p));
      }
      for (long b = 0; b < branch.fullBlocks(); b++) {
        for (final BlobPart p : ledger.snapshotStore().blockParts(source, b)) {
          parts.add(
              ForkTransfer.newBuilder()
                  .setCacheBlock(ForkCacheBlock.newBuilder().setBlock((int) b).setPart(p)));
        }
      }
    }
    final ConversationStores stores = ledger.stores();
    for (long from = snapshot;
        from < branch.position();
        from += ConversationStores.MAX_TOKENS_PER_RECORD) {
      final long to = Math.min(branch.position(), from + ConversationStores.MAX_TOKENS_PER_RECORD);
      final TokenLogRecord.Builder rec = TokenLogRecord.newBuilder();
      for (final int id : stores.log.read(source, from, to)) {
        rec.addIds(id);
      }
      parts.add(
          ForkTransfer.newBuilder()
              .setTokens(ForkTokens.newBuilder().setStart(from).setRecord(rec)));
    }
    final Checkpoints checkpoints = ledger.checkpointStore();
    for (final Checkpoints.Indexed c :
        checkpoints.range(source, branch.firstMessage(), branch.messages())) {
      final MessageText text = checkpoints.text(source, c.index());
      parts.add(
          ForkTransfer.newBuilder()
              .setMessage(
                  ForkMessage.newBuilder()
                      .setIndex(c.index())
                      .setCheckpoint(c.checkpoint())
                      .setText(text == null ? MessageText.getDefaultInstance() : text)));
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
   * log it wrote (the branch's token count if it had none). A transfer written by the first layout
   * (its metadata says layout 0) keeps that layout, to be upgraded on first use.
   */
  static long install(
      final ConversationLedger ledger,
      final String target,
      final ConversationMeta branch,
      final List<ForkTransfer> parts) {
    final ConversationStores stores = ledger.stores();
    final boolean firstLayout = branch.getLayout() == 0;
    long logStart = branch.getTokens();
    for (final ForkTransfer t : parts) {
      switch (t.getContentCase()) {
        case SNAPSHOT ->
            ledger
                .snapshotStore()
                .putSnapshotPart(
                    target, firstLayout ? 0 : t.getSnapshot().getVersion(), t.getSnapshot());
        case CACHE_BLOCK ->
            ledger
                .snapshotStore()
                .putBlockPart(target, t.getCacheBlock().getBlock(), t.getCacheBlock().getPart());
        case TOKENS -> {
          stores.log.putRecord(target, t.getTokens().getStart(), t.getTokens().getRecord());
          logStart = Math.min(logStart, t.getTokens().getStart());
        }
        case MESSAGE ->
            ledger
                .checkpointStore()
                .put(
                    target,
                    t.getMessage().getIndex(),
                    t.getMessage().getCheckpoint(),
                    t.getMessage().getText());
        default -> {}
      }
    }
    return logStart;
  }
}
