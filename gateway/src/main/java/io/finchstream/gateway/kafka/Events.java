package io.finchstream.gateway.kafka;

import io.finchstream.proto.v1.AppendText;
import io.finchstream.proto.v1.AppendTokens;
import io.finchstream.proto.v1.CancelGeneration;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.Delete;
import io.finchstream.proto.v1.Fork;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.ReserveFork;
import io.finchstream.proto.v1.Rewind;
import io.finchstream.proto.v1.Role;
import java.util.List;
import java.util.UUID;

/** Builders of the {@link ConversationEvent}s the gateway writes (events.proto). */
public final class Events {

  /** Schema version the gateway writes. */
  public static final int SCHEMA_VERSION = 1;

  private Events() {}

  /** A fresh event id. */
  public static String newId() {
    return UUID.randomUUID().toString();
  }

  public static ConversationEvent appendText(final Role role, final String text) {
    return base().setAppendText(AppendText.newBuilder().setRole(role).setText(text)).build();
  }

  public static ConversationEvent appendTokens(final List<Integer> ids) {
    return base().setAppendTokens(AppendTokens.newBuilder().addAllIds(ids)).build();
  }

  public static ConversationEvent generate(final Generate generate) {
    return base().setGenerate(generate).build();
  }

  public static ConversationEvent fork(final String newConversationId) {
    return base().setFork(Fork.newBuilder().setNewConversationId(newConversationId)).build();
  }

  /** Fork into {@code newConversationId} with the first {@code atMessage} messages. */
  public static ConversationEvent fork(final String newConversationId, final long atMessage) {
    return base()
        .setFork(Fork.newBuilder().setNewConversationId(newConversationId).setAtMessage(atMessage))
        .build();
  }

  /**
   * {@code fork} marked as followed by a reservation of its new id ({@link #reserveFork}), which
   * the gateway writes for a new id outside the source's tree.
   */
  public static ConversationEvent reserved(final ConversationEvent fork) {
    return fork.toBuilder().setFork(fork.getFork().toBuilder().setReserved(true)).build();
  }

  /**
   * Reserves the new id of Fork {@code forkEventId} from {@code source}: written keyed by the new
   * id, after the Fork, so that the new id's later events wait for the fork.
   */
  public static ConversationEvent reserveFork(final String source, final String forkEventId) {
    return base()
        .setReserveFork(
            ReserveFork.newBuilder().setSourceConversationId(source).setForkEventId(forkEventId))
        .build();
  }

  /** Keep the first {@code toMessage} messages of the conversation, drop the rest. */
  public static ConversationEvent rewind(final long toMessage) {
    return base().setRewind(Rewind.newBuilder().setToMessage(toMessage)).build();
  }

  public static ConversationEvent delete() {
    return base().setDelete(Delete.getDefaultInstance()).build();
  }

  /**
   * Cancels generation {@code requestId}, whose client has been shown {@code shown} draws (so the
   * reply keeps at least those, events.proto CancelGeneration.shown_tokens).
   */
  public static ConversationEvent cancel(final String requestId, final int shown) {
    return base()
        .setCancel(CancelGeneration.newBuilder().setRequestId(requestId).setShownTokens(shown))
        .build();
  }

  private static ConversationEvent.Builder base() {
    return ConversationEvent.newBuilder()
        .setSchemaVersion(SCHEMA_VERSION)
        .setEventId(newId())
        .setCreatedAtMs(System.currentTimeMillis());
  }
}
