package io.finchstream.processors.event;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.finchstream.proto.ConversationKeys;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.DeferredEvent;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.EventOrigin;
import io.finchstream.proto.v1.ForkHeader;
import io.finchstream.proto.v1.ForkTransfer;

/**
 * The abort of a Fork into another tree that its source refused: a one-part fork transfer, keyed by
 * the new id, whose header says {@code aborted}. It installs nothing; it only releases the new id's
 * reservation (docs/PROCESSORS.md, "Fork across partitions"). Whoever dead-letters a Fork sends it,
 * in the same transaction.
 */
public final class ForkAborts {

  /** Where an abort goes and what it is. */
  public record Abort(String target, ForkTransfer transfer) {}

  private ForkAborts() {}

  /**
   * The abort for event {@code value} of conversation {@code source} (read at {@code origin}), or
   * null when it is not a Fork into another tree.
   */
  public static Abort of(
      final String source,
      final byte[] key,
      final byte[] value,
      final EventOrigin origin,
      final ErrorCode code) {
    if (source == null || value == null) {
      return null;
    }
    final ConversationEvent event;
    try {
      event = ConversationEvent.parseFrom(value);
    } catch (final InvalidProtocolBufferException e) {
      return null;
    }
    final String target = event.hasFork() ? event.getFork().getNewConversationId() : "";
    if (target.isEmpty() || ConversationKeys.sameTree(source, target)) {
      return null;
    }
    final DeferredEvent.Builder original =
        DeferredEvent.newBuilder().setOrigin(origin).setValue(ByteString.copyFrom(value));
    if (key != null) {
      original.setKey(ByteString.copyFrom(key));
    }
    return new Abort(
        target,
        ForkTransfer.newBuilder()
            .setForkId(source + "@" + origin.getPartition() + ":" + origin.getOffset())
            .setPart(0)
            .setParts(1)
            .setHeader(
                ForkHeader.newBuilder()
                    .setSourceConversationId(source)
                    .setOriginal(original)
                    .setAborted(code))
            .build());
  }
}
