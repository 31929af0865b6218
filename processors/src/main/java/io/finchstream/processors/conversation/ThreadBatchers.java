package io.finchstream.processors.conversation;

import io.finchstream.engine.LanguageModel;
import io.finchstream.processors.FinchstreamMetrics;

/**
 * The {@link ThreadBatcher}s of one topology: one per stream thread, created on first use by a
 * conversation processor on that thread. A task belongs to one stream thread for its whole life (a
 * moved task is a new processor instance on its new thread), so everything a batcher touches is
 * confined to its thread.
 */
public final class ThreadBatchers {

  private final ThreadLocal<ThreadBatcher> perThread;

  /** Batchers for {@code model}: at most {@code maxBatch} generations per engine call, cycles of {@code budgetMs}. */
  public ThreadBatchers(final LanguageModel model, final FinchstreamMetrics metrics, final int maxBatch, final long budgetMs) {
    this.perThread = ThreadLocal.withInitial(() -> new ThreadBatcher(model, metrics, maxBatch, budgetMs));
  }

  /** The calling stream thread's batcher. */
  ThreadBatcher current() {
    return perThread.get();
  }
}
