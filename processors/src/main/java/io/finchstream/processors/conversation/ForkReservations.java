package io.finchstream.processors.conversation;

import io.finchstream.processors.store.ProtoStore;
import io.finchstream.processors.store.StoreKey;
import io.finchstream.proto.v1.EventOrigin;
import io.finchstream.proto.v1.ForkSettled;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;

/**
 * Reservations of the new ids of cross-partition forks (reliability audit S1-1). The gateway writes
 * a Fork (keyed by the source) and then a {@code ReserveFork} keyed by the new id, before it
 * answers 202; the new id's owner turns the reservation into a hold in the new id's queue ({@link
 * DeferredQueue#reserve}), so events sent to the new id after the 202 wait for the fork. The fork's
 * transfer (installed or refused) or its abort (the source refused the Fork) releases the hold.
 *
 * <p>The two writes are not atomic and land on different partitions, so the transfer may arrive
 * first: a transfer or abort of a reserved Fork that finds no hold leaves a marker ({@code
 * fork-settled}, keyed by the Fork's event id), and the late reservation removes it and holds
 * nothing. A hold is therefore always released, as long as the Fork reaches its source's processor,
 * which answers every Fork with a transfer or an abort. Markers whose reservation never comes (the
 * writer died between its two writes) are removed after {@link #SETTLED_RETENTION_MS}; a
 * reservation whose record is older than that is ignored, so that it can never miss its removed
 * marker and hold its target for good.
 */
final class ForkReservations {

  /** How long a settled marker waits for its reservation. */
  static final long SETTLED_RETENTION_MS = 3_600_000L;

  private final DeferredQueue deferred;
  private final ProtoStore<ForkSettled> settled;

  ForkReservations(final DeferredQueue deferred, final ProtoStore<ForkSettled> settled) {
    this.deferred = deferred;
    this.settled = settled;
  }

  /**
   * Reserves {@code target} for Fork {@code forkEventId} of {@code source} (the reservation came
   * from {@code reservation}); returns true if {@code target}'s events now wait behind a hold,
   * false if the fork had already settled (or the reservation is too old to be trusted).
   */
  boolean reserve(
      final String target,
      final String source,
      final String forkEventId,
      final EventOrigin reservation,
      final long nowMs) {
    final Bytes key = StoreKey.id(forkEventId);
    if (settled.get(key) != null) {
      settled.delete(key);
      return false;
    }
    if (reservation.getTimestampMs() < nowMs - SETTLED_RETENTION_MS) {
      return false;
    }
    deferred.reserve(target, source, forkEventId, reservation);
    return true;
  }

  /**
   * Fork {@code forkEventId} into {@code target} settled (installed, refused or aborted): releases
   * its hold and returns where the reservation came from (the caller records it as applied to
   * {@code target} and drains {@code target}'s queue); without a hold, a reserved Fork leaves a
   * marker for its reservation to come, and null is returned.
   */
  EventOrigin settle(
      final String target, final String forkEventId, final boolean reserved, final long nowMs) {
    if (forkEventId.isEmpty()) {
      return null;
    }
    final EventOrigin reservation = deferred.releaseReservation(target, forkEventId);
    if (reservation != null) {
      return reservation;
    }
    if (reserved) {
      settled.put(
          StoreKey.id(forkEventId),
          ForkSettled.newBuilder().setTargetConversationId(target).setSettledAtMs(nowMs).build());
    }
    return null;
  }

  /** Removes markers older than {@link #SETTLED_RETENTION_MS}; returns how many. */
  int expire(final long nowMs) {
    final List<Bytes> old = new ArrayList<>();
    settled.forEach(
        (key, marker) -> {
          if (marker.getSettledAtMs() < nowMs - SETTLED_RETENTION_MS) {
            old.add(key);
          }
        });
    old.forEach(settled::delete);
    return old.size();
  }
}
