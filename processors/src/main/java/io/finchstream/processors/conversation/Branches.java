package io.finchstream.processors.conversation;

import com.google.protobuf.ByteString;
import io.finchstream.proto.v1.Checkpoint;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.EventOrigin;
import io.finchstream.proto.v1.MessageText;
import io.finchstream.proto.v1.SnapshotRef;
import java.util.ArrayList;
import java.util.List;

/**
 * The turns of a conversation and branches at them, for the {@link ConversationLedger}: where the
 * turn after the first n messages is (its token position and digest), whether it can still be
 * reached (its position is not below the oldest retained snapshot), and what a branch at it carries
 * and copies: the newest snapshot at or below the turn, the full cache blocks below that, the token
 * log from it to the turn, and the checkpoints and texts of the messages from the first whose end
 * the snapshot reaches.
 */
final class Branches {

  private final ConversationStores stores;
  private final SnapshotStore snapshots;
  private final Checkpoints checkpoints;
  private final long cacheBytesPerToken;

  Branches(
      final ConversationStores stores,
      final SnapshotStore snapshots,
      final Checkpoints checkpoints,
      final long cacheBytesPerToken) {
    this.stores = stores;
    this.snapshots = snapshots;
    this.checkpoints = checkpoints;
    this.cacheBytesPerToken = cacheBytesPerToken;
  }

  /** A turn of a conversation: after {@code messages} messages, at token {@code position}. */
  record Turn(long messages, long position, ByteString digest, Outcome refused) {}

  /** The turn after the first {@code n} messages, or why it cannot be reached. */
  Turn turn(
      final String conversation, final ConversationMeta meta, final long n, final String what) {
    if (n > meta.getMessages()) {
      return refusedTurn(
          ErrorCode.INVALID_PARAMETERS,
          what
              + ": message "
              + n
              + " is past the end; conversation "
              + conversation
              + " has "
              + meta.getMessages()
              + " messages");
    }
    if (n == meta.getMessages()) {
      return new Turn(n, meta.getTokens(), meta.getMessageDigest(), null);
    }
    if (n == 0) {
      return new Turn(0, 0, ByteString.EMPTY, null);
    }
    final Checkpoint cp =
        n - 1 >= meta.getFirstMessage() ? checkpoints.get(conversation, n - 1) : null;
    if (cp == null || cp.getEnd() < horizon(meta)) {
      return refusedTurn(
          ErrorCode.TURN_NOT_RETAINED,
          what
              + ": the turn after message "
              + (n - 1)
              + " of conversation "
              + conversation
              + " is no longer retained (the oldest reachable turn is after message "
              + Math.max(0, meta.getFirstMessage() - 1)
              + "; checkpoint.* settings)");
    }
    return new Turn(n, cp.getEnd(), cp.getDigest(), null);
  }

  private static Turn refusedTurn(final ErrorCode code, final String reason) {
    return new Turn(0, 0, null, new Outcome.Rejected(code, reason));
  }

  /**
   * What a branch at a turn carries: the newest snapshot at or below the turn (null: replay from
   * the empty state), the messages from the first whose end it reaches to the turn, and the new
   * conversation's metadata as it starts.
   */
  record Branch(
      SnapshotRef snapshot,
      long fullBlocks,
      long position,
      long firstMessage,
      long messages,
      ConversationMeta meta) {}

  Branch branch(final String source, final ConversationMeta meta, final Turn turn) {
    SnapshotRef base = null;
    for (final SnapshotRef s : meta.getSnapshotsList()) {
      if (s.getPosition() <= turn.position) {
        base = s;
      }
    }
    final long s = base == null ? 0 : base.getPosition();
    long first = turn.messages;
    for (final Checkpoints.Indexed c :
        checkpoints.range(source, meta.getFirstMessage(), turn.messages)) {
      if (c.checkpoint().getEnd() >= s) {
        first = c.index();
        break;
      }
    }
    final int blockSize = meta.getCacheBlockSize();
    final long fullBlocks = blockSize > 0 ? s / blockSize : 0;
    final ConversationMeta.Builder m =
        meta.toBuilder()
            .setTokens(turn.position)
            .setCacheBytes(turn.position * cacheBytesPerToken)
            .setMessages(turn.messages)
            .setMessageDigest(turn.digest)
            .clearSnapshots()
            .setSnapshotPosition(s)
            .setSnapshotParts(base == null ? 0 : base.getParts())
            .setCacheFullBlocks(fullBlocks)
            .setFirstMessage(first)
            .setLogStart(s);
    if (base != null) {
      m.addSnapshots(base);
    }
    return new Branch(base, fullBlocks, turn.position, first, turn.messages, m.build());
  }

  /** Copies {@code branch} of {@code source} into {@code target}'s records (same task). */
  void copy(final String source, final Branch branch, final String target) {
    final long s = branch.meta().getSnapshotPosition();
    if (branch.snapshot() != null) {
      for (final var part : snapshots.snapshotParts(source, s)) {
        snapshots.putSnapshotPart(target, s, part);
      }
      for (long b = 0; b < branch.fullBlocks(); b++) {
        for (final var part : snapshots.blockParts(source, b)) {
          snapshots.putBlockPart(target, b, part);
        }
      }
    }
    for (long from = s;
        from < branch.position();
        from += ConversationStores.MAX_TOKENS_PER_RECORD) {
      final long to = Math.min(branch.position(), from + ConversationStores.MAX_TOKENS_PER_RECORD);
      stores.log.append(target, from, stores.log.read(source, from, to));
    }
    for (final Checkpoints.Indexed c :
        checkpoints.range(source, branch.firstMessage(), branch.messages())) {
      final MessageText text = checkpoints.text(source, c.index());
      checkpoints.put(
          target,
          c.index(),
          c.checkpoint(),
          text == null ? MessageText.getDefaultInstance() : text);
    }
  }

  /** The oldest position a turn can be rebuilt from: the oldest snapshot's (0 without one). */
  static long horizon(final ConversationMeta meta) {
    return meta.getSnapshotsCount() == 0 ? 0 : meta.getSnapshots(0).getPosition();
  }

  /** The metadata a fork starts with, from the branch's. */
  static ConversationMeta.Builder forked(
      final ConversationMeta branch,
      final String source,
      final EventOrigin origin,
      final long now) {
    return branch.toBuilder()
        .setIncarnation(Incarnations.of(origin))
        .setForkedFrom(source)
        .setLastTopic(origin.getTopic())
        .setLastPartition(origin.getPartition())
        .setLastOffset(origin.getOffset())
        .setLastRequestId("")
        .setEventsApplied(0)
        .setGenerationsFinished(0)
        .setDeleteRequested(false)
        .clearRefusals()
        .setCreatedAtMs(now)
        .setUpdatedAtMs(now);
  }

  /**
   * Cuts {@code conversation}'s history at {@code turn} (a rewind): the log from the turn's
   * position on, the snapshots past it, the cache blocks from its block on, the messages from it
   * on; returns {@code meta} as it then is.
   */
  ConversationMeta.Builder cut(
      final String conversation, final ConversationMeta meta, final Turn turn) {
    final long p = turn.position();
    stores.log.truncateFrom(conversation, p);
    final List<SnapshotRef> kept = new ArrayList<>();
    for (final SnapshotRef s : meta.getSnapshotsList()) {
      if (s.getPosition() <= p) {
        kept.add(s);
      } else {
        snapshots.delete(conversation, s.getPosition());
      }
    }
    long fullBlocks = meta.getCacheFullBlocks();
    final int blockSize = meta.getCacheBlockSize();
    if (blockSize > 0 && fullBlocks > p / blockSize) {
      fullBlocks = p / blockSize;
      snapshots.dropBlocksFrom(conversation, fullBlocks);
    }
    checkpoints.delete(conversation, turn.messages(), meta.getMessages());
    final SnapshotRef newest = kept.isEmpty() ? null : kept.get(kept.size() - 1);
    return meta.toBuilder()
        .setTokens(p)
        .setCacheBytes(p * cacheBytesPerToken)
        .setMessages(turn.messages())
        .setMessageDigest(turn.digest())
        .clearSnapshots()
        .addAllSnapshots(kept)
        .setSnapshotPosition(newest == null ? 0 : newest.getPosition())
        .setSnapshotParts(newest == null ? 0 : newest.getParts())
        .setCacheFullBlocks(fullBlocks)
        .setFirstMessage(Math.min(meta.getFirstMessage(), turn.messages()));
  }
}
