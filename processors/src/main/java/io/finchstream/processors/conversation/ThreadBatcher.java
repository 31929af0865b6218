package io.finchstream.processors.conversation;

import io.finchstream.engine.LanguageModel;
import io.finchstream.processors.FinchstreamException;
import io.finchstream.processors.FinchstreamMetrics;
import io.finchstream.processors.live.LiveTokens;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Decoding for all the stream tasks of one stream thread. Kafka Streams runs the tasks of a thread
 * one after another (process records, then every task's punctuator, then commit, then poll), so a
 * task that decoded only its own conversations would make small batches when the conversations are
 * spread over many partitions, and every task's compute budget would add to the loop's period.
 * Every conversation processor on the thread is a {@link Member}; in its punctuation it takes what
 * its generations produced in the last cycle ({@link #takeResults}), stores and emits it ({@link
 * Generations#store}), and offers the decoders of those that are ready ({@link #arrive}). Once
 * every member holding results of the last cycle has stored them, the next cycle steps the offers
 * of all members together (shared {@link DecodeRound}s) on this batcher's decode thread, while the
 * stream thread commits, polls and processes records (and computes other conversations' pending
 * tokens); punctuations that come while it runs leave the generations alone ({@link #collect}). So
 * the engine does not stop for the commit, and a request that arrives during a cycle is processed
 * at once and ends the cycle early ({@link #hurry}).
 *
 * <p>Correctness: a cycle receives the offered {@link Decoder}s (each with its conversation's
 * state, pinned in its task's hot cache) and returns {@link DecodeResult} values; it never touches
 * a store or anything else of a task. While it runs, the stream thread leaves the decoders and
 * their states alone: events of a generating conversation are deferred, batched ingest skips
 * conversations whose generation owns the state, and each task stores and emits its results only
 * once the cycle is over ({@link #collect}). The engine's results do not depend on the batch, so
 * every conversation's tokens are those of an unbatched run. A task that closes (migration, EOS
 * abort) waits for the running cycle and leaves; results it had not stored are simply recomputed by
 * the next owner, from the committed log, identically.
 *
 * <p>It also lets records in first: Kafka Streams processes one record per task between
 * punctuations while punctuators fire, so a long punctuation after every record would admit a burst
 * of events one per cycle. While records arrive, a member's punctuation computes only the prefills
 * that generations wait for ({@link #intakeFirst}), for at most {@link #INTAKE_NANOS} since its
 * last full compute.
 *
 * <p>Used by its stream thread only (see {@link ThreadBatchers}); the decode thread touches only
 * the decoders of the cycle it was handed, and the cycle's future hands them back (with the
 * results) before the stream thread's next reads.
 */
final class ThreadBatcher {

  /**
   * Longest a punctuation defers compute (but the prefills that generations wait for) to let
   * arriving records in. Kafka Streams processes its buffered records one per task between
   * punctuations and polls again only once none is left, so a compute in every punctuation made the
   * k-th record of a burst wait k computes of every task (event delays of 300–600 ms under 16 chat
   * sessions, docs/BENCHMARKS.md); without compute a burst is taken in within milliseconds. A
   * steady stream must still not hold compute back for long: at most about one compute budget.
   */
  private static final long INTAKE_NANOS = 200_000_000L;

  /** Punctuations closer together than this belong to one stream loop. */
  private static final long SAME_LOOP_NANOS = 2_000_000L;

  /** One conversation processor (task) on this thread. */
  static final class Member {
    private List<Decoder> offer = List.of();
    private boolean holdsResults;
    private long seenAt;
    private long processedSeen;
    private long computedAt = Long.MIN_VALUE / 2;
  }

  private final DecodeRound round;
  private final int maxBatch;
  private final long cycleNanos;
  private final long staleNanos;
  private final IdentityHashMap<Object, Member> members = new IdentityHashMap<>();
  private final ThreadPoolExecutor decoder;

  /** Records processed on this thread so far. */
  private long processed;

  /** The running cycle, or null: its value is each member's results. */
  private Future<IdentityHashMap<Member, List<DecodeResult>>> running;

  /** Results of the last cycle that members have not taken yet. */
  private final IdentityHashMap<Member, List<DecodeResult>> results = new IdentityHashMap<>();

  /** When a punctuation last stopped waiting for the running cycle. */
  private long lastMiss = Long.MIN_VALUE / 2;

  /** {@link #processed} when a punctuation last collected. */
  private long processedAtCollect;

  /**
   * Set by the stream thread when new work arrived: the running cycle ends after its current round.
   */
  private volatile boolean hurry;

  /**
   * Whether the stream thread is waiting for the running cycle right now: a cycle past its deadline
   * ends only then, so the engine keeps working while the stream thread commits and polls.
   */
  private volatile boolean collecting;

  ThreadBatcher(
      final LanguageModel model,
      final FinchstreamMetrics metrics,
      final LiveTokens live,
      final int maxBatch,
      final long cycleMs,
      final long budgetMs,
      final String threadName) {
    this.round = new DecodeRound(model, metrics, live);
    this.maxBatch = maxBatch;
    this.cycleNanos = cycleMs * 1_000_000L;
    // a member silent for longer than two punctuations' worth of compute has left (its task closed)
    this.staleNanos = 2 * (budgetMs * 1_000_000L + cycleNanos) + 1_000_000_000L;
    this.decoder =
        new ThreadPoolExecutor(
            1,
            1,
            1,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              final Thread t = new Thread(r, "finchstream-decode-" + threadName);
              t.setDaemon(true);
              return t;
            });
    this.decoder.allowCoreThreadTimeOut(true);
  }

  /** {@code owner} (a processor) joins; replaces an earlier membership of the same owner. */
  Member join(final Object owner) {
    final Member m = new Member();
    m.seenAt = System.nanoTime();
    members.put(owner, m);
    return m;
  }

  /**
   * {@code owner} leaves (its task closes): waits for the running cycle, which may hold its
   * generations.
   */
  void leave(final Object owner) {
    try {
      await();
    } finally {
      final Member m = members.remove(owner);
      if (m != null) {
        results.remove(m);
      }
    }
  }

  /** A record was processed on this thread. */
  void recordProcessed() {
    processed++;
  }

  /**
   * New work arrived (a generation started or was cancelled): the running cycle ends after its
   * current round.
   */
  void hurry() {
    if (running != null) {
      hurry = true;
    }
  }

  /**
   * Waits at most {@code waitNanos} for the running cycle (not at all if records were processed on
   * this thread since the last call, for the same reason as {@link #INTAKE_NANOS}, nor if a
   * punctuation of this same stream loop has just waited: the tasks punctuate back to back);
   * returns true when no cycle runs any more (every generation belongs to the stream thread again).
   * So the stream thread, instead of spinning through its loop while the engine works, sleeps here,
   * but wakes up every {@code waitNanos} to process arriving records. An engine failure ends only
   * the generations it hit (their results carry it); anything else thrown by the cycle is thrown
   * here.
   */
  boolean collect(final long waitNanos) {
    final Future<?> cycle = running;
    final boolean arriving = processed != processedAtCollect;
    processedAtCollect = processed;
    if (cycle == null) {
      return true;
    }
    collecting = true;
    try {
      cycle.get(
          arriving || System.nanoTime() - lastMiss < SAME_LOOP_NANOS ? 0 : waitNanos,
          TimeUnit.NANOSECONDS);
    } catch (final TimeoutException e) {
      lastMiss = System.nanoTime();
      return false;
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (final ExecutionException e) {
      // await() below rethrows it.
    } finally {
      collecting = false;
    }
    await();
    return true;
  }

  /**
   * Waits for the running cycle, if any, and keeps its results for {@link #takeResults}: afterwards
   * every decoder belongs to the stream thread again. An unexpected failure of the cycle is thrown
   * here.
   */
  void await() {
    final Future<IdentityHashMap<Member, List<DecodeResult>>> cycle = running;
    if (cycle == null) {
      return;
    }
    running = null;
    hurry = true;
    boolean interrupted = false;
    try {
      while (true) {
        try {
          results.putAll(cycle.get());
          return;
        } catch (final InterruptedException e) {
          interrupted = true;
        }
      }
    } catch (final ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new FinchstreamException("decode cycle failed: " + e.getCause(), e.getCause());
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Whether {@code me}'s punctuation should compute only urgent prefills to let arriving records in
   * first: records were processed since its previous punctuation and its last compute began less
   * than {@link #INTAKE_NANOS} ago.
   */
  boolean intakeFirst(final Member me, final long now) {
    final boolean arriving = processed != me.processedSeen;
    me.processedSeen = processed;
    if (arriving && now - me.computedAt < INTAKE_NANOS) {
      return true;
    }
    me.computedAt = now;
    return false;
  }

  /**
   * What {@code me}'s generations produced in the last cycle (after {@link #collect} returned
   * true), for it to store and emit; empty if nothing.
   */
  List<DecodeResult> takeResults(final Member me) {
    me.holdsResults = false;
    final List<DecodeResult> mine = results.remove(me);
    return mine == null ? List.of() : mine;
  }

  /**
   * {@code me} punctuates with {@code ready} decoders (states loaded and pinned); starts the next
   * decode cycle if no live member still holds results of the last one (so one cycle per stream
   * loop, started by the last member to store its results) and some member has ready generations.
   *
   * @param compute whether compute may run now ({@link #intakeFirst} said no)
   * @return whether a cycle started
   */
  boolean arrive(final Member me, final List<Decoder> ready, final boolean compute) {
    final long now = System.nanoTime();
    me.seenAt = now;
    me.offer = ready;
    if (!compute || running != null) {
      return false;
    }
    for (final Member m : members.values()) {
      if (m != me && m.holdsResults && now - m.seenAt < staleNanos) {
        return false;
      }
    }
    final List<DecodeRound.Emission> batch = new ArrayList<>();
    final IdentityHashMap<Member, List<DecodeRound.Emission>> byMember = new IdentityHashMap<>();
    for (final Member m : members.values()) {
      if (m == me || now - m.seenAt < staleNanos) {
        final List<DecodeRound.Emission> mine = new ArrayList<>(m.offer.size());
        for (final Decoder d : m.offer) {
          mine.add(new DecodeRound.Emission(d));
        }
        batch.addAll(mine);
        byMember.put(m, mine);
        m.holdsResults = !m.offer.isEmpty();
        m.offer = List.of();
      }
    }
    if (batch.isEmpty()) {
      return false;
    }
    final long deadline = System.nanoTime() + cycleNanos;
    hurry = false;
    running =
        decoder.submit(
            () -> {
              cycle(batch, deadline);
              final IdentityHashMap<Member, List<DecodeResult>> out = new IdentityHashMap<>();
              byMember.forEach(
                  (m, ems) -> out.put(m, ems.stream().map(DecodeRound.Emission::result).toList()));
              return out;
            });
    return true;
  }

  /**
   * Rounds over {@code batch} (at least one) until all are done, the deadline has passed and the
   * stream thread waits for the results ({@link #collecting}; until then, for at most one more
   * cycle, the engine goes on rather than idle while the stream thread commits and polls), a
   * generation has drawn its first token (it then reaches the client with the next commit instead
   * of one cycle later), or new work has arrived ({@link #hurry}: a new generation joins the next
   * cycle instead of waiting for this one to end).
   */
  private void cycle(final List<DecodeRound.Emission> all, final long deadlineNanos) {
    final List<DecodeRound.Emission> batch = new ArrayList<>(all);
    int rounds = 0;
    boolean firstToken = false;
    while (!batch.isEmpty()
        && (rounds == 0 || (!firstToken && !hurry && withinCycle(deadlineNanos)))) {
      for (int from = 0; from < batch.size(); from += maxBatch) {
        firstToken |= round.run(batch.subList(from, Math.min(batch.size(), from + maxBatch)));
      }
      batch.removeIf(DecodeRound.Emission::over);
      rounds++;
    }
  }

  /**
   * Before the deadline; after it, until the stream thread collects, for at most one more cycle.
   */
  private boolean withinCycle(final long deadlineNanos) {
    final long now = System.nanoTime();
    return now < deadlineNanos || (!collecting && now < deadlineNanos + cycleNanos);
  }
}
