package io.finchstream.processors.conversation;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.processors.FinchstreamException;
import io.finchstream.processors.event.ReplyMessages;
import io.finchstream.processors.store.StoreKey;
import io.finchstream.proto.MessageHistory;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.GenerationProgress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running generations of a task: which are ready for a decode step ({@link #prepare}; the
 * rounds themselves are {@link DecodeRound}s run by the stream thread's {@link ThreadBatcher}, for
 * the generations of all its tasks together), and storing what they produced ({@link #flush}): each
 * generation's new tokens are appended to the log and announced in one TokenChunk, and its progress
 * is stored, all in this task's transaction; so after a crash the new owner resumes exactly at the
 * next token, and since the sampler's randomness is a function of (seed, step), it samples the same
 * tokens.
 */
final class GenerationLoop {

  private static final Logger LOG = LoggerFactory.getLogger(GenerationLoop.class);

  private final LanguageModel model;
  private final Tokenizer tokenizer;
  private final ConversationStores stores;
  private final StateLoader loader;
  private final HotStateCache cache;
  private final Snapshotter snapshotter;
  private final BatchedCompute compute;
  private final Outputs out;
  private final LinkedHashMap<String, ActiveGeneration> active = new LinkedHashMap<>();
  private Consumer<String> onFinished = c -> {};
  private Runnable onNewWork = () -> {};

  GenerationLoop(
      final LanguageModel model,
      final Tokenizer tokenizer,
      final ConversationStores stores,
      final StateLoader loader,
      final HotStateCache cache,
      final Snapshotter snapshotter,
      final BatchedCompute compute,
      final Outputs out) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.stores = stores;
    this.loader = loader;
    this.cache = cache;
    this.snapshotter = snapshotter;
    this.compute = compute;
    this.out = out;
    compute.coordinate(
        c -> {
          final ActiveGeneration g = active.get(c);
          return g != null && g.ownsState;
        },
        c -> {
          final ActiveGeneration g = active.get(c);
          return g == null ? Long.MAX_VALUE : g.progress.getStartPosition();
        });
  }

  /**
   * Called with the conversation when one of its generations has finished (to apply deferred
   * events).
   */
  void onFinished(final Consumer<String> action) {
    this.onFinished = action;
  }

  /**
   * Called when a generation starts or is cancelled (a running decode cycle should make room for
   * it).
   */
  void onNewWork(final Runnable action) {
    this.onNewWork = action;
  }

  /** Whether {@code conversation} is generating. */
  boolean generating(final String conversation) {
    return active.containsKey(conversation);
  }

  int activeCount() {
    return active.size();
  }

  /** Resumes every generation stored in this task (after a restart, a rebalance or a crash). */
  void resumeStored() {
    final List<GenerationProgress> stored = new ArrayList<>();
    final List<String> conversations = new ArrayList<>();
    stores.generations.forEach(
        (key, progress) -> {
          conversations.add(StoreKey.idToConversation(key));
          stored.add(progress);
        });
    for (int i = 0; i < stored.size(); i++) {
      final String conversation = conversations.get(i);
      final GenerationProgress progress = stored.get(i);
      final ActiveGeneration g = new ActiveGeneration(conversation, progress, tokenizer);
      final long start = progress.getStartPosition();
      g.replay(stores.log.read(conversation, start, start + progress.getGenerated()));
      active.put(conversation, g);
      compute.markUrgent(conversation);
      LOG.info(
          "resumed generation {} of conversation {} at token {}",
          progress.getRequest().getRequestId(),
          conversation,
          progress.getGenerated());
    }
  }

  /** Starts a stored generation (its prefix is already in the log). */
  void start(final String conversation, final GenerationProgress progress) {
    active.put(conversation, new ActiveGeneration(conversation, progress, tokenizer));
    compute.markUrgent(conversation);
    onNewWork.run();
  }

  /** Marks {@code requestId} of {@code conversation} cancelled; it finishes in the next round. */
  boolean cancel(final String conversation, final String requestId) {
    final ActiveGeneration g = active.get(conversation);
    if (g == null || !g.progress.getRequest().getRequestId().equals(requestId)) {
      return false;
    }
    g.progress = g.progress.toBuilder().setCancelled(true).build();
    stores.generations.put(StoreKey.id(conversation), g.progress);
    onNewWork.run();
    return true;
  }

  /** Stores and emits what every generation produced since the last call. */
  void flush() {
    for (final ActiveGeneration g : new ArrayList<>(active.values())) {
      if (g.holdsOutput()) {
        flush(g);
      }
    }
  }

  /**
   * The generations whose state is ready for a decode step now (loaded, pinned, in {@link
   * ActiveGeneration#state}); the others get their prefill computed. Cancelled ones finish (to be
   * flushed).
   */
  List<ActiveGeneration> prepare() {
    final List<ActiveGeneration> ready = new ArrayList<>();
    for (final ActiveGeneration g : new ArrayList<>(active.values())) {
      if (g.progress.getCancelled()) {
        g.cancel();
        continue;
      }
      try {
        final ConversationMeta meta = stores.meta(g.conversation);
        if (meta == null) {
          throw new FinchstreamException("the conversation's metadata is missing");
        }
        final HotStateCache.Entry entry = loader.load(g.conversation, meta);
        g.state = entry.state;
        if (g.pendingToken >= 0 && entry.position() == meta.getTokens() - 1) {
          ready.add(g);
        } else if (entry.position() == meta.getTokens()) {
          g.pendingToken = -1;
          ready.add(g);
        } else {
          g.ownsState = false;
          g.pendingToken = -1;
          compute.markUrgent(g.conversation);
          continue;
        }
        g.ownsState = true;
        cache.pin(g.conversation, true);
      } catch (final FinchstreamException e) {
        fail(g, e);
      }
    }
    return ready;
  }

  /** Stores and emits what {@code g} produced this punctuation; finishes it if it ended. */
  private void flush(final ActiveGeneration g) {
    ConversationMeta meta = stores.meta(g.conversation);
    final int[] tokens = g.newTokens.toArray();
    final String text = g.newText.toString();
    final GenerationProgress.Builder progress = g.progress.toBuilder();
    if (tokens.length > 0) {
      stores.log.append(g.conversation, meta.getTokens(), tokens);
      meta =
          meta.toBuilder()
              .setTokens(meta.getTokens() + tokens.length)
              .setCacheBytes((meta.getTokens() + tokens.length) * model.info().cacheBytesPerToken())
              .setUpdatedAtMs(out.nowMs())
              .build();
    }
    if (tokens.length > 0 || !text.isEmpty()) {
      final var request = g.progress.getRequest();
      out.reply(
          g.conversation,
          ReplyMessages.chunk(
              g.conversation,
              request.getRequestId(),
              request.getReplyTo(),
              progress.getNextChunkIndex(),
              tokens,
              text));
      progress.setNextChunkIndex(progress.getNextChunkIndex() + 1);
    }
    progress.setGenerated(progress.getGenerated() + tokens.length);
    g.fullText.append(text);
    g.newTokens.clear();
    g.newText.setLength(0);
    g.progress = progress.build();
    if (g.finished != null) {
      finishStored(g, meta);
      return;
    }
    stores.putMeta(g.conversation, meta);
    stores.generations.put(StoreKey.id(g.conversation), g.progress);
    final HotStateCache.Entry entry = cache.get(g.conversation);
    if (entry != null && snapshotter.due(entry.position(), meta, false)) {
      snapshotter.snapshot(g.conversation, entry.state, meta, g.progress.getStartPosition());
    }
  }

  private void finishStored(final ActiveGeneration g, final ConversationMeta meta) {
    final ConversationMeta updated =
        MessageHistory.recordReply(meta.toBuilder(), g.fullText.toString())
            .setGenerationsFinished(meta.getGenerationsFinished() + 1)
            .setUpdatedAtMs(out.nowMs())
            .build();
    stores.putMeta(g.conversation, updated);
    stores.generations.delete(StoreKey.id(g.conversation));
    final var request = g.progress.getRequest();
    out.reply(
        g.conversation,
        ReplyMessages.done(
            g.conversation,
            request.getRequestId(),
            request.getReplyTo(),
            g.finished,
            g.progress.getPromptTokens(),
            g.progress.getGenerated(),
            updated.getTokens(),
            g.fullText.toString()));
    out.metrics().generationFinished(out.nowMs() - g.progress.getAcceptedAtMs());
    active.remove(g.conversation);
    g.state = null;
    cache.pin(g.conversation, false);
    compute.markTurnEnded(g.conversation);
    onFinished.accept(g.conversation);
  }

  /** Ends a generation that cannot continue (corrupt store, other model) with an Error reply. */
  private void fail(final ActiveGeneration g, final FinchstreamException e) {
    LOG.error(
        "conversation {}: generation {} failed: {}",
        g.conversation,
        g.progress.getRequest().getRequestId(),
        e.getMessage());
    stores.generations.delete(StoreKey.id(g.conversation));
    final var request = g.progress.getRequest();
    out.reply(
        g.conversation,
        ReplyMessages.error(
            g.conversation,
            request.getRequestId(),
            request.getReplyTo(),
            ErrorCode.INTERNAL,
            "generation failed: " + e.getMessage()));
    active.remove(g.conversation);
    cache.pin(g.conversation, false);
    onFinished.accept(g.conversation);
  }
}
