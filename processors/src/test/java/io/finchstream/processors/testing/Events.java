package io.finchstream.processors.testing;

import io.finchstream.proto.v1.AppendText;
import io.finchstream.proto.v1.AppendTokens;
import io.finchstream.proto.v1.CancelGeneration;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.Delete;
import io.finchstream.proto.v1.Fork;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.Reset;
import io.finchstream.proto.v1.Rewind;
import io.finchstream.proto.v1.Role;
import io.finchstream.proto.v1.SamplingParams;
import java.util.List;

/** Builders of input events for tests. */
public final class Events {

  private Events() {}

  public static ConversationEvent appendText(final String text) {
    return appendText(text, Role.ROLE_RAW);
  }

  public static ConversationEvent appendText(final String text, final Role role) {
    return ConversationEvent.newBuilder()
        .setSchemaVersion(1)
        .setAppendText(AppendText.newBuilder().setText(text).setRole(role))
        .build();
  }

  public static ConversationEvent appendTokens(final int... ids) {
    final AppendTokens.Builder b = AppendTokens.newBuilder();
    for (final int id : ids) {
      b.addIds(id);
    }
    return ConversationEvent.newBuilder().setSchemaVersion(1).setAppendTokens(b).build();
  }

  /** A greedy generation of at most {@code maxTokens} tokens. */
  public static ConversationEvent generateGreedy(
      final String requestId, final int maxTokens, final String... stops) {
    return generate(
        Generate.newBuilder()
            .setRequestId(requestId)
            .setMaxTokens(maxTokens)
            .addAllStop(List.of(stops))
            .setSampling(SamplingParams.newBuilder().setTemperature(0f))
            .build());
  }

  /**
   * A greedy generation that runs until cancelled or {@code maxTokens}: end of text (token 0) is
   * barred with {@code logit_bias}, so a test that cancels it mid-way does not depend on how many
   * tokens a decode cycle ran on the machine before the cancel arrived.
   */
  public static ConversationEvent generateUntilCancelled(
      final String requestId, final int maxTokens) {
    return generate(
        Generate.newBuilder()
            .setRequestId(requestId)
            .setMaxTokens(maxTokens)
            .setSampling(SamplingParams.newBuilder().setTemperature(0f).putLogitBias(0, -100f))
            .build());
  }

  /** A sampled generation (temperature 1, top_p 0.9, fixed seed). */
  public static ConversationEvent generateSampled(
      final String requestId, final int maxTokens, final long seed) {
    return generate(
        Generate.newBuilder()
            .setRequestId(requestId)
            .setMaxTokens(maxTokens)
            .setSampling(SamplingParams.newBuilder().setTemperature(1f).setTopP(0.9f).setSeed(seed))
            .build());
  }

  public static ConversationEvent generate(final Generate g) {
    return ConversationEvent.newBuilder().setSchemaVersion(1).setGenerate(g).build();
  }

  public static ConversationEvent fork(final String newConversation) {
    return ConversationEvent.newBuilder()
        .setSchemaVersion(1)
        .setFork(Fork.newBuilder().setNewConversationId(newConversation))
        .build();
  }

  /** Fork into {@code newConversation} with the first {@code atMessage} messages. */
  public static ConversationEvent forkAt(final String newConversation, final long atMessage) {
    return ConversationEvent.newBuilder()
        .setSchemaVersion(1)
        .setFork(Fork.newBuilder().setNewConversationId(newConversation).setAtMessage(atMessage))
        .build();
  }

  /** Keep the first {@code toMessage} messages. */
  public static ConversationEvent rewind(final long toMessage) {
    return ConversationEvent.newBuilder()
        .setSchemaVersion(1)
        .setRewind(Rewind.newBuilder().setToMessage(toMessage))
        .build();
  }

  /**
   * A greedy chat reply: prefix "Assistant:", at most {@code maxTokens}, ending at a blank line.
   */
  public static ConversationEvent reply(final String requestId, final int maxTokens) {
    return generate(
        Generate.newBuilder()
            .setRequestId(requestId)
            .setMaxTokens(maxTokens)
            .setPrefixText("Assistant:")
            .setSampling(SamplingParams.newBuilder().setTemperature(0f))
            .build());
  }

  /** A sampled ephemeral generation (the conversation is left as it is). */
  public static ConversationEvent ephemeral(
      final String requestId, final String prefix, final int maxTokens, final long seed) {
    return generate(
        Generate.newBuilder()
            .setRequestId(requestId)
            .setMaxTokens(maxTokens)
            .setPrefixText(prefix)
            .setEphemeral(true)
            .setSampling(SamplingParams.newBuilder().setTemperature(1f).setTopP(0.9f).setSeed(seed))
            .build());
  }

  public static ConversationEvent reset() {
    return ConversationEvent.newBuilder()
        .setSchemaVersion(1)
        .setReset(Reset.getDefaultInstance())
        .build();
  }

  public static ConversationEvent delete() {
    return ConversationEvent.newBuilder()
        .setSchemaVersion(1)
        .setDelete(Delete.getDefaultInstance())
        .build();
  }

  public static ConversationEvent cancel(final String requestId) {
    return cancel(requestId, 0);
  }

  /** A cancel from a reader that has shown {@code shownTokens} live draws to its client. */
  public static ConversationEvent cancel(final String requestId, final int shownTokens) {
    return ConversationEvent.newBuilder()
        .setSchemaVersion(1)
        .setCancel(
            CancelGeneration.newBuilder().setRequestId(requestId).setShownTokens(shownTokens))
        .build();
  }
}
