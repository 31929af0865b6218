package io.finchstream.processors.event;

import com.google.protobuf.ByteString;
import io.finchstream.proto.v1.DeadLetter;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.EventOrigin;

/**
 * Builds the records of {@code finchstream.dlq}: the original bytes, the reason, and the origin.
 */
public final class DeadLetters {

  private DeadLetters() {}

  /** A dead letter for the record {@code key}/{@code value} from {@code origin}. */
  public static DeadLetter of(
      final byte[] key,
      final byte[] value,
      final ErrorCode code,
      final String reason,
      final EventOrigin origin,
      final long nowMs) {
    final DeadLetter.Builder dl =
        DeadLetter.newBuilder()
            .setCode(code)
            .setReason(reason)
            .setSourceTopic(origin.getTopic())
            .setSourcePartition(origin.getPartition())
            .setSourceOffset(origin.getOffset())
            .setSourceTimestampMs(origin.getTimestampMs())
            .setDeadLetteredAtMs(nowMs);
    if (key != null) {
      dl.setOriginalKey(ByteString.copyFrom(key));
    }
    if (value != null) {
      dl.setOriginalValue(ByteString.copyFrom(value));
    }
    return dl.build();
  }
}
