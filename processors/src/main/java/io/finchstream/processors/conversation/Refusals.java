package io.finchstream.processors.conversation;

import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.EventOrigin;
import io.finchstream.proto.v1.Refusal;

/**
 * The events a conversation refused after the gateway had accepted them ({@code
 * ConversationMeta.refusals}): the gateway's checks run before its 202, the processors' when the
 * event is applied, and what changed in between (a full queue of waiting events, a turn pruned, a
 * fork's new id taken, a failure) can still refuse it. The refusal is written in the same
 * transaction as the event counting as applied, so a client whose read waits for its own write
 * reads it back. Bounded: the latest {@value #MAX} are kept, the oldest dropped first.
 */
final class Refusals {

  /** Refusals kept per conversation. */
  static final int MAX = 8;

  private Refusals() {}

  /** The refusal of event {@code eventId} at {@code origin}. */
  static Refusal of(
      final String eventId,
      final EventOrigin origin,
      final ErrorCode code,
      final String reason,
      final long nowMs) {
    return Refusal.newBuilder()
        .setEventId(eventId)
        .setOrigin(origin)
        .setCode(code)
        .setMessage(reason)
        .setRefusedAtMs(nowMs)
        .build();
  }

  /** {@code meta} with {@code refusal} added (and the oldest dropped beyond {@link #MAX}). */
  static ConversationMeta.Builder add(final ConversationMeta.Builder meta, final Refusal refusal) {
    meta.addRefusals(refusal);
    while (meta.getRefusalsCount() > MAX) {
      meta.removeRefusals(0);
    }
    return meta;
  }
}
