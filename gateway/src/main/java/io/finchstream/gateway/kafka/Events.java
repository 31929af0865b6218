package io.finchstream.gateway.kafka;

import io.finchstream.proto.v1.AppendText;
import io.finchstream.proto.v1.AppendTokens;
import io.finchstream.proto.v1.CancelGeneration;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.Delete;
import io.finchstream.proto.v1.Fork;
import io.finchstream.proto.v1.Generate;
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

  /** Keep the first {@code toMessage} messages of the conversation, drop the rest. */
  public static ConversationEvent rewind(final long toMessage) {
    return base().setRewind(Rewind.newBuilder().setToMessage(toMessage)).build();
  }

  public static ConversationEvent delete() {
    return base().setDelete(Delete.getDefaultInstance()).build();
  }

  public static ConversationEvent cancel(final String requestId) {
    return base().setCancel(CancelGeneration.newBuilder().setRequestId(requestId)).build();
  }

  private static ConversationEvent.Builder base() {
    return ConversationEvent.newBuilder()
        .setSchemaVersion(SCHEMA_VERSION)
        .setEventId(newId())
        .setCreatedAtMs(System.currentTimeMillis());
  }
}
