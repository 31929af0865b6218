package io.finchstream.processors.conversation;

import com.google.protobuf.ByteString;
import io.finchstream.processors.event.Inbound;
import io.finchstream.processors.store.StoreKey;
import io.finchstream.proto.v1.DeferredEvent;
import io.finchstream.proto.v1.EventOrigin;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;

/**
 * Events that arrived while their conversation was generating: kept in order, per conversation, in
 * the {@code conversation-deferred} store, and applied in that order when the generation ends. This
 * keeps each conversation's history exactly its events in offset order (a message sent during a
 * reply continues after the reply, not inside it). Bounded per conversation by the caller ({@code
 * max.deferred.events}, {@link #span}).
 */
final class DeferredQueue {

  private final ConversationStores stores;

  DeferredQueue(final ConversationStores stores) {
    this.stores = stores;
  }

  /** Whether any event of {@code conversation} waits. */
  boolean nonEmpty(final String conversation) {
    return stores.deferred.last(
            StoreKey.of(conversation, 0), StoreKey.of(conversation, Long.MAX_VALUE))
        != null;
  }

  /**
   * How many events wait at most: the sequence numbers from the oldest to the newest (events taken
   * from the middle, a cancelled Generate or a released hold, still count until the queue drains
   * past them). Two key lookups, no scan.
   */
  long span(final String conversation) {
    final KeyValue<Bytes, DeferredEvent> last =
        stores.deferred.last(
            StoreKey.of(conversation, 0), StoreKey.of(conversation, Long.MAX_VALUE));
    if (last == null) {
      return 0;
    }
    final List<KeyValue<Bytes, DeferredEvent>> first = first(conversation, 1);
    return StoreKey.index(last.key) - StoreKey.index(first.get(0).key) + 1;
  }

  /** Queues {@code inbound} behind the events already waiting. */
  void add(final Inbound inbound) {
    final DeferredEvent.Builder event = DeferredEvent.newBuilder().setOrigin(inbound.origin());
    if (inbound.rawKey() != null) {
      event.setKey(ByteString.copyFrom(inbound.rawKey()));
    }
    if (inbound.rawValue() != null) {
      event.setValue(ByteString.copyFrom(inbound.rawValue()));
    }
    put(inbound.conversationId(), event.build());
  }

  private void put(final String conversation, final DeferredEvent event) {
    final KeyValue<Bytes, DeferredEvent> last =
        stores.deferred.last(
            StoreKey.of(conversation, 0), StoreKey.of(conversation, Long.MAX_VALUE));
    final long seq = last == null ? 0 : StoreKey.index(last.key) + 1;
    stores.deferred.put(StoreKey.of(conversation, seq), event);
  }

  /**
   * Holds {@code target}'s events behind a Fork from {@code source} (same tree) that waits in
   * {@code source}'s queue: its later events queue up behind the hold.
   */
  void holdForFork(final String target, final String source) {
    put(target, DeferredEvent.newBuilder().setAwaitingForkFrom(source).build());
  }

  /**
   * Holds {@code target}'s events behind the cross-partition Fork {@code forkEventId} from {@code
   * source} (a {@code ReserveFork}): its later events queue up behind the hold until the fork's
   * transfer or abort arrives.
   */
  void reserve(
      final String target,
      final String source,
      final String forkEventId,
      final EventOrigin reservation) {
    put(
        target,
        DeferredEvent.newBuilder()
            .setAwaitingForkFrom(source)
            .setForkEventId(forkEventId)
            .setOrigin(reservation)
            .build());
  }

  /**
   * Releases {@code target}'s reservation for Fork {@code forkEventId}; returns where the
   * reservation came from, or null if there was none.
   */
  EventOrigin releaseReservation(final String target, final String forkEventId) {
    for (final KeyValue<Bytes, DeferredEvent> kv : list(target)) {
      if (kv.value.getForkEventId().equals(forkEventId)) {
        remove(kv.key);
        return kv.value.getOrigin();
      }
    }
    return null;
  }

  /** Releases {@code target}'s hold for a Fork from {@code source}; true if there was one. */
  boolean releaseFork(final String target, final String source) {
    for (final KeyValue<Bytes, DeferredEvent> kv : list(target)) {
      if (kv.value.getForkEventId().isEmpty() && kv.value.getAwaitingForkFrom().equals(source)) {
        remove(kv.key);
        return true;
      }
    }
    return false;
  }

  /** The first (oldest) at most {@code limit} waiting events of {@code conversation}. */
  List<KeyValue<Bytes, DeferredEvent>> first(final String conversation, final int limit) {
    return stores.deferred.range(
        StoreKey.of(conversation, 0), StoreKey.of(conversation, Long.MAX_VALUE), limit);
  }

  /** The waiting events of {@code conversation}, oldest first. */
  List<KeyValue<Bytes, DeferredEvent>> list(final String conversation) {
    return stores.deferred.prefixScan(StoreKey.prefix(conversation));
  }

  void remove(final Bytes key) {
    stores.deferred.delete(key);
  }
}
