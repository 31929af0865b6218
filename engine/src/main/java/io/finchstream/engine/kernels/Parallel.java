package io.finchstream.engine.kernels;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Splits index ranges over a fixed number of threads (the caller is one of them). A range is cut
 * into a few contiguous chunks per thread, which the threads claim from a counter, so a thread that
 * the OS does not schedule (a busy machine) delays nobody: the others take its chunks. Kernels stay
 * deterministic: which thread computes an element never changes how it is computed.
 *
 * <p>A model step runs hundreds of short parallel regions (one per matmul), so the workers spin for
 * a moment after each region before they park: the next region starts without a wake-up. Workers
 * are daemon threads that exit after {@value #IDLE_SECONDS} s without work and are started again
 * when needed, so an idle pool holds no threads. One region runs at a time per pool: a caller that
 * finds the pool busy (another conversation's call on another thread) runs its region alone, which
 * gives the same results.
 */
public final class Parallel {

  /** The body of a parallel loop over {@code [from, to)}. */
  @FunctionalInterface
  public interface RangeBody {
    void run(int from, int to);
  }

  private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
  private static final int IDLE_SECONDS = 10;
  private static final AtomicInteger POOLS = new AtomicInteger();

  /** Chunks per thread: enough to balance a busy machine, few enough to keep chunks long. */
  private static final int CHUNKS_PER_THREAD = 4;

  /**
   * One region, published through the volatile {@link #job}; chunks are claimed from {@code next}.
   */
  private record Job(
      long generation,
      RangeBody body,
      int n,
      int size,
      int chunks,
      AtomicInteger next,
      AtomicInteger done) {

    /** Claims and runs chunks until none is left. */
    void work(final Parallel pool) {
      for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
        try {
          body.run(c * size, Math.min(n, (c + 1) * size));
        } catch (final Throwable e) {
          pool.failure = e;
        } finally {
          done.incrementAndGet();
        }
      }
    }
  }

  private final int threads;
  private final int id = POOLS.incrementAndGet();
  private final Worker[] workers;
  private final ReentrantLock region = new ReentrantLock();
  private volatile Job job;
  private volatile Throwable failure;
  private long generation;

  /** A pool of {@code threads − 1} workers plus the caller. */
  public Parallel(final int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    this.threads = threads;
    this.workers = new Worker[threads - 1];
    for (int k = 0; k < workers.length; k++) {
      workers[k] = new Worker(k + 1);
    }
  }

  /** Threads that share the work of one call. */
  public int threads() {
    return threads;
  }

  /**
   * Runs {@code body} over {@code [0, n)} in contiguous chunks of at least {@code grain} indices on
   * up to {@link #threads()} threads; returns when all chunks are done. Exceptions propagate.
   */
  public void forRange(final int n, final int grain, final RangeBody body) {
    if (n <= 0) {
      return;
    }
    final int chunks = Math.min(threads * CHUNKS_PER_THREAD, Math.max(1, n / Math.max(1, grain)));
    // nested regions (a body calling forRange) and concurrent callers run alone: same results
    if (chunks == 1 || region.isHeldByCurrentThread() || !region.tryLock()) {
      body.run(0, n);
      return;
    }
    try {
      final int size = (n + chunks - 1) / chunks;
      final int used = (n + size - 1) / size;
      final Job current =
          new Job(++generation, body, n, size, used, new AtomicInteger(), new AtomicInteger());
      failure = null;
      job = current;
      for (int k = 0; k < Math.min(workers.length, used - 1); k++) {
        workers[k].wake();
      }
      current.work(this);
      awaitChunks(current); // never leave workers writing into the caller's arrays
      final Throwable thrown = failure;
      if (thrown != null) {
        throw thrown instanceof RuntimeException r ? r : new IllegalStateException(thrown);
      }
    } finally {
      region.unlock();
    }
  }

  @SuppressWarnings("ThreadPriorityCheck") // spin, then yield: the caller's core works meanwhile
  private static void awaitChunks(final Job job) {
    final long start = System.nanoTime();
    while (job.done().get() < job.chunks()) {
      if (System.nanoTime() - start < SPIN_NANOS) {
        Thread.onSpinWait();
      } else {
        Thread.yield();
      }
    }
  }

  /** A worker claims chunks of every region it is woken for. */
  private final class Worker implements Runnable {
    private static final int RUNNING = 0;
    private static final int SLEEPING = 1;
    private static final int DEAD = 2;
    private static final VarHandle STATE;

    static {
      try {
        STATE = MethodHandles.lookup().findVarHandle(Worker.class, "state", int.class);
      } catch (final ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private final int part;
    private volatile int state = DEAD;
    private volatile Thread thread;
    private long seen;

    Worker(final int part) {
      this.part = part;
    }

    /** Called by the region's caller after publishing the job. */
    void wake() {
      final int s = state;
      if (s == SLEEPING) {
        LockSupport.unpark(thread);
      } else if (s == DEAD && STATE.compareAndSet(this, DEAD, RUNNING)) {
        final Thread t = new Thread(this, "finchstream-kernels-" + id + "-" + part);
        t.setDaemon(true);
        thread = t;
        t.start();
      }
    }

    @Override
    @SuppressWarnings("ReferenceEquality") // identity: is the published region still the one seen
    public void run() {
      long idleSince = System.nanoTime();
      while (true) {
        final Job j = job;
        if (j != null && j.generation() != seen) {
          seen = j.generation();
          j.work(Parallel.this);
          idleSince = System.nanoTime();
          continue;
        }
        if (System.nanoTime() - idleSince < SPIN_NANOS) {
          Thread.onSpinWait();
          continue;
        }
        state = SLEEPING;
        if (job == j) {
          LockSupport.parkNanos(this, TimeUnit.SECONDS.toNanos(IDLE_SECONDS));
        }
        if (job == j
            && System.nanoTime() - idleSince > TimeUnit.SECONDS.toNanos(IDLE_SECONDS)
            && STATE.compareAndSet(this, SLEEPING, DEAD)) {
          // a region published just now may have seen us SLEEPING: take its part, if nobody
          // restarted us
          if (job == j || !STATE.compareAndSet(this, DEAD, RUNNING)) {
            return;
          }
        }
        state = RUNNING;
      }
    }
  }
}
