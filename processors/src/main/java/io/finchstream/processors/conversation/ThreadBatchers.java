package io.finchstream.processors.conversation;

import io.finchstream.engine.LanguageModel;
import io.finchstream.processors.FinchstreamMetrics;
import io.finchstream.processors.live.LiveTokens;

/**
 * The {@link ThreadBatcher}s of one topology: one per stream thread, created on first use by a
 * conversation processor on that thread. A task belongs to one stream thread for its whole life (a
 * moved task is a new processor instance on its new thread), so a batcher is used by its stream
 * thread only (and its own decode thread, for the cycles it hands it).
 */
public final class ThreadBatchers {

  private final ThreadLocal<ThreadBatcher> perThread;

  /**
   * Batchers for {@code model}: at most {@code maxBatch} generations per engine call, decode cycles
   * of {@code cycleMs} (at most twice that); {@code budgetMs} (the batched ingest budget of a
   * punctuation) bounds how long a task may go without punctuating before it counts as gone. Every
   * draw is published to {@code live}.
   */
  public ThreadBatchers(
      final LanguageModel model,
      final FinchstreamMetrics metrics,
      final LiveTokens live,
      final int maxBatch,
      final long cycleMs,
      final long budgetMs) {
    this.perThread =
        ThreadLocal.withInitial(
            () ->
                new ThreadBatcher(
                    model,
                    metrics,
                    live,
                    maxBatch,
                    cycleMs,
                    budgetMs,
                    Thread.currentThread().getName()));
  }

  /** The calling stream thread's batcher. */
  ThreadBatcher current() {
    return perThread.get();
  }
}
