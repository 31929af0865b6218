package io.finchstream.processors.conversation;

import io.finchstream.engine.ModelInfo;
import io.finchstream.processors.event.Command;
import io.finchstream.processors.event.Inbound;
import io.finchstream.processors.store.StoreKey;
import io.finchstream.proto.MessageHistory;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.EventOrigin;
import io.finchstream.proto.v1.GenerationProgress;
import java.util.stream.IntStream;

/**
 * Applies an accepted event to a conversation that is not generating: durable tokens first (the log
 * and the metadata are written now, in the event's transaction), computation later ({@link
 * BatchedCompute}). Checks that need the conversation's state happen here and reject the event
 * (dead letter + Error reply) without changing anything.
 */
final class EventApplier {

  private final ConversationStores stores;
  private final StateLoader loader;
  private final HotStateCache cache;
  private final BatchedCompute compute;
  private final GenerationLoop generations;
  private final ForkExporter forks;
  private final Outputs out;
  private final ModelInfo info;

  EventApplier(
      final ConversationStores stores,
      final StateLoader loader,
      final HotStateCache cache,
      final BatchedCompute compute,
      final GenerationLoop generations,
      final ForkExporter forks,
      final Outputs out,
      final ModelInfo info) {
    this.stores = stores;
    this.loader = loader;
    this.cache = cache;
    this.compute = compute;
    this.generations = generations;
    this.forks = forks;
    this.out = out;
    this.info = info;
  }

  /** Applies {@code in}; returns true if it started a generation. */
  boolean apply(final Inbound in) {
    return switch (in.command()) {
      case Command.Append a -> append(in, a);
      case Command.StartGeneration g -> generate(in, g);
      case Command.Fork f -> {
        forks.export(in, f.target());
        yield false;
      }
      case Command.Reset r -> reset(in);
      case Command.Delete d -> delete(in);
      case Command.Cancel c -> false;
    };
  }

  private boolean append(final Inbound in, final Command.Append a) {
    final String conversation = in.conversationId();
    final int[] tokens = a.tokens();
    final ConversationMeta meta = existingOrNew(in);
    if (meta == null) {
      return false;
    }
    stores.log.append(conversation, meta.getTokens(), tokens);
    final ConversationMeta.Builder updated = advanced(meta, in.origin(), tokens.length);
    if (a.text() != null) {
      MessageHistory.recordText(updated, a.role(), a.text());
    } else {
      MessageHistory.recordTokens(updated, IntStream.of(tokens).boxed().toList());
    }
    stores.putMeta(conversation, updated.build());
    compute.markPending(conversation, tokens.length);
    out.metrics().tokensIngested(tokens.length);
    out.metrics().event("append");
    return false;
  }

  private boolean generate(final Inbound in, final Command.StartGeneration g) {
    final String conversation = in.conversationId();
    final ConversationMeta meta = existingOrNew(in);
    if (meta == null) {
      return false;
    }
    final String requestId = g.request().getRequestId();
    if (requestId.equals(meta.getLastRequestId())) {
      reject(
          in,
          ErrorCode.DUPLICATE_REQUEST,
          "generate: request " + requestId + " was already accepted for this conversation");
      return false;
    }
    final int[] prefix = g.prefixTokens();
    final long start = meta.getTokens() + prefix.length;
    if (start == 0) {
      reject(
          in,
          ErrorCode.INVALID_PARAMETERS,
          "generate: the conversation is empty; append text first (or give prefix_text)");
      return false;
    }
    stores.log.append(conversation, meta.getTokens(), prefix);
    stores.putMeta(
        conversation,
        advanced(meta, in.origin(), prefix.length).setLastRequestId(requestId).build());
    final GenerationProgress progress =
        GenerationProgress.newBuilder()
            .setRequest(g.request())
            .setEventId(in.eventId())
            .setStartPosition(start)
            .setPromptTokens(prefix.length)
            .setSeed(g.params().seed())
            .setMaxTokens(g.params().maxTokens())
            .setAcceptedAtMs(out.nowMs())
            .build();
    stores.generations.put(StoreKey.id(conversation), progress);
    generations.start(conversation, progress);
    out.metrics().tokensIngested(prefix.length);
    out.metrics().event("generate");
    return true;
  }

  private boolean reset(final Inbound in) {
    final String conversation = in.conversationId();
    final ConversationMeta meta = stores.meta(conversation);
    out.metrics().event("reset");
    if (meta == null) {
      return false;
    }
    stores.deleteHistory(conversation);
    stores.putMeta(
        conversation,
        advanced(meta, in.origin(), 0)
            .setModelId(loader.modelId())
            .setTokens(0)
            .setSnapshotPosition(0)
            .setSnapshotParts(0)
            .setLogStart(0)
            .setCacheBytes(0)
            .setIncarnation(Incarnations.of(in.origin()))
            .setMessages(0)
            .clearMessageDigest()
            .build());
    cache.remove(conversation);
    compute.forget(conversation);
    return false;
  }

  private boolean delete(final Inbound in) {
    final String conversation = in.conversationId();
    stores.deleteHistory(conversation);
    stores.meta.delete(StoreKey.id(conversation));
    cache.remove(conversation);
    compute.forget(conversation);
    out.metrics().event("delete");
    return false;
  }

  /**
   * The conversation's metadata, a fresh one if it does not exist, or null if it belongs to another
   * model (rejected).
   */
  private ConversationMeta existingOrNew(final Inbound in) {
    final String conversation = in.conversationId();
    final ConversationMeta meta = stores.meta(conversation);
    if (meta == null) {
      return ConversationMeta.newBuilder()
          .setSchemaVersion(1)
          .setModelId(loader.modelId())
          .setIncarnation(Incarnations.of(in.origin()))
          .setRecurrentStateBytes(info.recurrentStateBytes())
          .setCreatedAtMs(out.nowMs())
          .build();
    }
    try {
      loader.checkModel(conversation, meta);
      return meta;
    } catch (final ModelMismatchException e) {
      reject(in, ErrorCode.INTERNAL, e.getMessage());
      return null;
    }
  }

  private ConversationMeta.Builder advanced(
      final ConversationMeta meta, final EventOrigin origin, final int tokens) {
    final long total = meta.getTokens() + tokens;
    return meta.toBuilder()
        .setTokens(total)
        .setCacheBytes(total * info.cacheBytesPerToken())
        .setLastTopic(origin.getTopic())
        .setLastPartition(origin.getPartition())
        .setLastOffset(origin.getOffset())
        .setEventsApplied(meta.getEventsApplied() + 1)
        .setUpdatedAtMs(out.nowMs());
  }

  private void reject(final Inbound in, final ErrorCode code, final String reason) {
    out.reject(
        in.conversationId(),
        in.rawKey(),
        in.rawValue(),
        in.origin(),
        in.requestId(),
        in.replyTo(),
        code,
        reason);
  }
}
