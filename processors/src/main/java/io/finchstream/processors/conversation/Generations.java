package io.finchstream.processors.conversation;

import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.processors.event.ReplyMessages;
import io.finchstream.processors.store.ProtoStore;
import io.finchstream.processors.store.StoreKey;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.GenerationProgress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running generations of a task, and the only writer of their stored progress ({@code
 * conversation-generations}). Between decode cycles it offers the {@link Decoder}s of the
 * generations whose state is ready ({@link #prepare}); the cycles themselves run on the stream
 * thread's {@link ThreadBatcher}, for the generations of all its tasks together; then it stores
 * what they returned ({@link #store}): each generation's new tokens are appended to the
 * conversation (through the {@link GenerationHost}) and announced in one TokenChunk, and its
 * progress is stored, all in this task's transaction. So after a crash the new owner resumes
 * exactly at the next token, and since the sampler's randomness is a function of (seed, step), it
 * samples the same tokens.
 */
final class Generations {

  private static final Logger LOG = LoggerFactory.getLogger(Generations.class);

  /** A running generation, as the stream thread keeps it. */
  private static final class Running {
    final String conversation;
    final Decoder decoder;
    GenerationProgress progress;

    /** Text emitted so far (for GenerationDone.text). */
    final StringBuilder text = new StringBuilder();

    Running(final String conversation, final GenerationProgress progress, final Decoder decoder) {
      this.conversation = conversation;
      this.progress = progress;
      this.decoder = decoder;
    }

    Generate request() {
      return progress.getRequest();
    }
  }

  private final Tokenizer tokenizer;
  private final ProtoStore<GenerationProgress> store;
  private final GenerationHost host;
  private final Outputs out;
  private final LinkedHashMap<String, Running> active = new LinkedHashMap<>();
  private final List<String> ended = new ArrayList<>();

  Generations(
      final Tokenizer tokenizer,
      final ProtoStore<GenerationProgress> store,
      final GenerationHost host,
      final Outputs out) {
    this.tokenizer = tokenizer;
    this.store = store;
    this.host = host;
    this.out = out;
  }

  /** Whether {@code conversation} is generating. */
  boolean generating(final String conversation) {
    return active.containsKey(conversation);
  }

  int activeCount() {
    return active.size();
  }

  /**
   * Resumes every generation stored in this task (after a restart, a rebalance or a crash): the
   * decoder is rebuilt from the tokens it had generated, which reproduces the text already emitted.
   */
  void resumeStored() {
    final List<String> conversations = new ArrayList<>();
    final List<GenerationProgress> stored = new ArrayList<>();
    store.forEach(
        (key, progress) -> {
          conversations.add(StoreKey.idToConversation(key));
          stored.add(progress);
        });
    for (int i = 0; i < stored.size(); i++) {
      final String conversation = conversations.get(i);
      final GenerationProgress progress = stored.get(i);
      final Running g =
          new Running(conversation, progress, new Decoder(conversation, progress, tokenizer));
      final long start = progress.getStartPosition();
      host.attach(conversation, progress);
      g.text.append(
          g.decoder.replay(host.readLog(conversation, start, start + progress.getGenerated())));
      active.put(conversation, g);
      LOG.info(
          "resumed generation {} of conversation {} at token {}",
          progress.getRequest().getRequestId(),
          conversation,
          progress.getGenerated());
    }
  }

  /** Starts a generation the conversation accepted ({@link Outcome.Started}); stores it. */
  void start(final String conversation, final GenerationProgress progress) {
    store.put(StoreKey.id(conversation), progress);
    active.put(
        conversation,
        new Running(conversation, progress, new Decoder(conversation, progress, tokenizer)));
  }

  /**
   * Marks {@code requestId} of {@code conversation} cancelled (stored); it finishes before the next
   * cycle. False if no such generation runs.
   */
  boolean cancel(final String conversation, final String requestId) {
    final Running g = active.get(conversation);
    if (g == null || !g.request().getRequestId().equals(requestId)) {
      return false;
    }
    g.progress = g.progress.toBuilder().setCancelled(true).build();
    store.put(StoreKey.id(conversation), g.progress);
    return true;
  }

  /** Cancels whatever generation of {@code conversation} runs (a Delete arrived). */
  void cancelRunning(final String conversation) {
    final Running g = active.get(conversation);
    if (g != null) {
      cancel(conversation, g.request().getRequestId());
    }
  }

  /**
   * The decoders of the generations whose state is ready for a decode step now (loaded and pinned
   * by the host); the others get their prefill computed. Cancelled ones finish here.
   */
  List<Decoder> prepare() {
    final List<Decoder> ready = new ArrayList<>();
    for (final Running g : new ArrayList<>(active.values())) {
      if (g.progress.getCancelled()) {
        store(
            g,
            new DecodeResult(g.decoder, new int[0], g.decoder.cancel(), null, null),
            FinishReason.FINISH_REASON_CANCELLED);
        continue;
      }
      try {
        final var state = host.decodeState(g.conversation, g.decoder.lag());
        if (state == null) {
          g.decoder.unbind();
        } else {
          g.decoder.bind(state);
          ready.add(g.decoder);
        }
      } catch (final RuntimeException e) {
        fail(g, e); // a corrupt store, a state of another model: this generation only
      }
    }
    return ready;
  }

  /** Stores and emits what a decode cycle returned for this task's generations. */
  void store(final List<DecodeResult> results) {
    for (final DecodeResult r : results) {
      final Running g = active.get(r.decoder().conversation);
      if (g == null || g.decoder != r.decoder()) {
        continue; // the generation ended meanwhile (cancelled, conversation deleted)
      }
      if (r.failure() != null) {
        fail(g, r.failure());
      } else if (r.holdsOutput()) {
        store(g, r, r.finished());
      }
    }
  }

  /** Conversations whose generation ended since the last call (their deferred events may go on). */
  List<String> takeEnded() {
    final List<String> out = List.copyOf(ended);
    ended.clear();
    return out;
  }

  /** Stores and emits {@code r}; finishes the generation if {@code finished} is set. */
  private void store(final Running g, final DecodeResult r, final FinishReason finished) {
    final int[] tokens = r.tokens();
    if (tokens.length > 0) {
      host.appendGenerated(g.conversation, tokens);
    }
    final GenerationProgress.Builder progress = g.progress.toBuilder();
    if (tokens.length > 0 || !r.text().isEmpty()) {
      out.reply(
          g.conversation,
          ReplyMessages.chunk(
              g.conversation,
              g.request().getRequestId(),
              g.request().getReplyTo(),
              progress.getNextChunkIndex(),
              tokens,
              r.text()));
      progress.setNextChunkIndex(progress.getNextChunkIndex() + 1);
    }
    progress.setGenerated(progress.getGenerated() + tokens.length);
    g.text.append(r.text());
    g.progress = progress.build();
    if (finished == null) {
      store.put(StoreKey.id(g.conversation), g.progress);
      return;
    }
    final ConversationMeta meta =
        host.finishReply(
            g.conversation,
            g.progress.getStartPosition() - g.progress.getPromptTokens(),
            g.text.toString());
    store.delete(StoreKey.id(g.conversation));
    out.reply(
        g.conversation,
        ReplyMessages.done(
            g.conversation,
            g.request().getRequestId(),
            g.request().getReplyTo(),
            finished,
            g.progress.getPromptTokens(),
            g.progress.getGenerated(),
            meta.getTokens(),
            g.text.toString()));
    out.metrics().generationFinished(out.nowMs() - g.progress.getAcceptedAtMs());
    end(g);
  }

  /** Ends a generation that cannot continue (corrupt store, engine error) with an Error reply. */
  private void fail(final Running g, final RuntimeException e) {
    LOG.error(
        "conversation {}: generation {} failed", g.conversation, g.request().getRequestId(), e);
    host.detach(g.conversation);
    store.delete(StoreKey.id(g.conversation));
    out.reply(
        g.conversation,
        ReplyMessages.error(
            g.conversation,
            g.request().getRequestId(),
            g.request().getReplyTo(),
            ErrorCode.INTERNAL,
            "generation failed: " + e.getMessage()));
    end(g);
  }

  private void end(final Running g) {
    active.remove(g.conversation);
    ended.add(g.conversation);
  }
}
