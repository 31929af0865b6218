package io.finchstream.engine.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Splits index ranges over a fixed number of threads (the caller is one of them). Each part is a
 * contiguous range and runs one {@link RangeBody} call, so kernels stay deterministic: which thread
 * computes an element never changes how it is computed. Worker threads are daemons.
 */
public final class Parallel {

  /** The body of a parallel loop over {@code [from, to)}. */
  @FunctionalInterface
  public interface RangeBody {
    void run(int from, int to);
  }

  private static final AtomicInteger POOLS = new AtomicInteger();

  private final int threads;
  private final ForkJoinPool pool;

  /** A pool of {@code threads - 1} workers plus the caller; no workers for one thread. */
  public Parallel(final int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    this.threads = threads;
    final int id = POOLS.incrementAndGet();
    this.pool =
        threads == 1
            ? null
            : new ForkJoinPool(
                threads - 1,
                p -> {
                  final ForkJoinWorkerThread t =
                      ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
                  t.setName("finchstream-kernels-" + id + "-" + t.getPoolIndex());
                  t.setDaemon(true);
                  return t;
                },
                null,
                false);
  }

  /** Threads that share the work of one call. */
  public int threads() {
    return threads;
  }

  /**
   * Runs {@code body} over {@code [0, n)} split into at most {@link #threads()} contiguous parts of
   * at least {@code grain} indices each; returns when all parts are done. Exceptions propagate.
   */
  public void forRange(final int n, final int grain, final RangeBody body) {
    if (n <= 0) {
      return;
    }
    final int parts = Math.min(threads, Math.max(1, n / Math.max(1, grain)));
    if (parts == 1) {
      body.run(0, n);
      return;
    }
    final int size = (n + parts - 1) / parts;
    final List<ForkJoinTask<?>> forked = new ArrayList<>(parts - 1);
    for (int from = size; from < n; from += size) {
      final int start = from;
      final int end = Math.min(n, from + size);
      forked.add(pool.submit(() -> body.run(start, end)));
    }
    body.run(0, Math.min(n, size));
    for (final ForkJoinTask<?> task : forked) {
      task.join();
    }
  }
}
