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
 * Fork is dead-lettered (CONVERSATION_EXISTS) and the source gets an Error reply.
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

  /** Takes one part of a fork to {@code target} that came from {@code origin}. */
  void accept(final String target, final ForkTransfer part, final EventOrigin origin) {
    staging.put(StoreKey.of(part.getForkId(), part.getPart()), part);
    if (part.getPart() != part.getParts() - 1) {
      return;
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
      return;
    }
    final ForkHeader header = staged.get(0).value.getHeader();
    final List<ForkTransfer> parts = staged.stream().map(kv -> kv.value).toList();
    if (ledger.install(target, header, parts, origin) instanceof Outcome.Rejected r) {
      final DeferredEvent original = header.getOriginal();
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
  }

  private static String eventId(final DeferredEvent original) {
    try {
      return ConversationEvent.parseFrom(original.getValue()).getEventId();
    } catch (final InvalidProtocolBufferException e) {
      return "";
    }
  }
}
