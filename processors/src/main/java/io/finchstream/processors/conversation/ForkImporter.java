package io.finchstream.processors.conversation;

import com.google.protobuf.InvalidProtocolBufferException;
import io.finchstream.processors.store.ProtoStore;
import io.finchstream.processors.store.StoreKey;
import io.finchstream.proto.v1.ConversationEvent;
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
 * Receives fork transfers: stages the parts ({@code fork-staging}, which it alone writes) until the
 * last one arrives (they were written in one transaction, so all of them arrive), then has the
 * {@link ConversationLedger} install the conversation, unless it already exists, in which case the
 * Fork is dead-lettered (CONVERSATION_EXISTS) and the source gets an Error reply. An aborted
 * transfer (the source refused the Fork and dead-lettered it) installs nothing. Either way the fork
 * has settled: the caller releases the new id's reservation ({@link ForkReservations}).
 */
final class ForkImporter {

  private static final Logger LOG = LoggerFactory.getLogger(ForkImporter.class);

  private final ProtoStore<ForkTransfer> staging;
  private final ConversationLedger ledger;
  private final Outputs out;

  ForkImporter(
      final ProtoStore<ForkTransfer> staging, final ConversationLedger ledger, final Outputs out) {
    this.staging = staging;
    this.ledger = ledger;
    this.out = out;
  }

  /** A fork that settled: the Fork's event id, and whether its writer reserved the new id. */
  record Settled(String forkEventId, boolean reserved) {}

  /**
   * Takes one part of a fork to {@code target} that came from {@code origin}; returns the fork once
   * its last part is handled (installed, refused or aborted), else null.
   */
  Settled accept(final String target, final ForkTransfer part, final EventOrigin origin) {
    if (part.getParts() == 1 && part.hasHeader() && part.getHeader().hasOriginal()) {
      // a single part (an abort, or an empty branch): nothing to stage
      return settle(target, part.getHeader(), List.of(part), origin);
    }
    staging.put(StoreKey.of(part.getForkId(), part.getPart()), part);
    if (part.getPart() != part.getParts() - 1) {
      return null;
    }
    final List<KeyValue<Bytes, ForkTransfer>> staged =
        staging.prefixScan(StoreKey.prefix(part.getForkId()));
    staged.forEach(kv -> staging.delete(kv.key));
    if (staged.size() != part.getParts() || !staged.get(0).value.hasHeader()) {
      LOG.error(
          "fork {} to {}: {} of {} parts arrived; dropping it",
          part.getForkId(),
          target,
          staged.size(),
          part.getParts());
      out.metrics().deadLetter(ErrorCode.INTERNAL.name());
      return staged.isEmpty() || !staged.get(0).value.hasHeader()
          ? null
          : settledOf(staged.get(0).value.getHeader());
    }
    return settle(
        target,
        staged.get(0).value.getHeader(),
        staged.stream().map(kv -> kv.value).toList(),
        origin);
  }

  private Settled settle(
      final String target,
      final ForkHeader header,
      final List<ForkTransfer> parts,
      final EventOrigin origin) {
    if (header.getAborted() != ErrorCode.ERROR_CODE_UNSPECIFIED) {
      LOG.debug(
          "fork {} to {} aborted by its source: {}", parts.get(0).getForkId(), target, header);
      return settledOf(header);
    }
    Outcome outcome;
    try {
      outcome = ledger.install(target, header, parts, origin);
    } catch (final RuntimeException e) {
      LOG.error("fork {} to {}: installing failed", parts.get(0).getForkId(), target, e);
      outcome = new Outcome.Rejected(ErrorCode.INTERNAL, "installing the fork failed: " + e);
    }
    if (outcome instanceof Outcome.Rejected r) {
      final DeferredEvent original = header.getOriginal();
      // the new id's own readers learn why the fork did not land there (its source's task, on
      // another partition, has already counted the Fork as applied)
      ledger.refused(
          target,
          Refusals.of(eventId(original), original.getOrigin(), r.code(), r.reason(), out.nowMs()),
          false);
      out.reject(
          header.getSourceConversationId(),
          original.getKey().toByteArray(),
          original.getValue().toByteArray(),
          original.getOrigin(),
          eventId(original),
          "",
          r.code(),
          r.reason());
    }
    return settledOf(header);
  }

  private static Settled settledOf(final ForkHeader header) {
    final ConversationEvent fork = event(header.getOriginal());
    return fork == null
        ? new Settled("", false)
        : new Settled(fork.getEventId(), fork.getFork().getReserved());
  }

  private static String eventId(final DeferredEvent original) {
    final ConversationEvent event = event(original);
    return event == null ? "" : event.getEventId();
  }

  private static ConversationEvent event(final DeferredEvent original) {
    try {
      return ConversationEvent.parseFrom(original.getValue());
    } catch (final InvalidProtocolBufferException e) {
      return null;
    }
  }
}
