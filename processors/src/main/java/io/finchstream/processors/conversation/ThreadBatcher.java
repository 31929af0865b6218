package io.finchstream.processors.conversation;

import io.finchstream.engine.LanguageModel;
import io.finchstream.processors.FinchstreamMetrics;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Batching across the stream tasks of one stream thread. Kafka Streams runs the tasks of a thread
 * one after another (process records, then every task's punctuator, then commit), so a task that
 * decodes only its own conversations makes small batches when the conversations are spread over
 * many partitions, and every task's compute budget adds to the loop's period. Every conversation
 * processor on the thread is a {@link Member} of the thread's batcher: in its punctuation it stores
 * and emits what its generations produced ({@link GenerationLoop#flush}), then offers its ready
 * generations; one decode cycle per loop steps the offers of all members together (shared {@link
 * DecodeRound}s), and each member stores and emits its own results in its own punctuation, right
 * after, in the same loop and so the same transaction. A cycle touches only generations and their
 * pinned states in memory, never another task's stores; since the engine's results do not depend
 * on the batch, every conversation's tokens are the ones an unbatched run gives.
 *
 * <p>Which punctuation runs the cycle: the first one of a loop whose task has ready generations
 * (see {@link #arrive}); the members that punctuate after it store their results and offer their
 * ready generations for the next loop's cycle. A member that has not punctuated for {@link #staleNanos} (its
 * task is closing, restoring or gone) neither blocks cycles nor takes part in them.
 *
 * <p>It also lets records in first: Kafka Streams processes one record per task between punctuations
 * while punctuators fire, so a long punctuation after every record would admit a burst of events
 * one per cycle. While records arrive, a member's punctuation skips compute ({@link #intakeFirst})
 * for at most one compute budget since its last compute.
 *
 * <p>Confined to its stream thread (see {@link ThreadBatchers}); not thread-safe.
 */
final class ThreadBatcher {

  /** One conversation processor (task) on this thread. */
  static final class Member {
    private List<ActiveGeneration> offer = List.of();
    private boolean holdsResults;
    private long seenAt;
    private long seenCycle;
    private long processedSeen;
    private long computedAt = Long.MIN_VALUE / 2;
  }

  private final DecodeRound round;
  private final int maxBatch;
  private final long budgetNanos;
  private final long staleNanos;
  private final Map<Object, Member> members = new IdentityHashMap<>();
  /** Records processed on this thread so far. */
  private long processed;
  /** Decode cycles run on this thread so far. */
  private long cycles;

  ThreadBatcher(final LanguageModel model, final FinchstreamMetrics metrics, final int maxBatch, final long budgetMs) {
    this.round = new DecodeRound(model, metrics);
    this.maxBatch = maxBatch;
    this.budgetNanos = budgetMs * 1_000_000L;
    this.staleNanos = 2 * budgetNanos + 1_000_000_000L;
  }

  /** {@code owner} (a processor) joins; replaces an earlier membership of the same owner. */
  Member join(final Object owner) {
    final Member m = new Member();
    m.seenAt = System.nanoTime();
    m.seenCycle = cycles;
    members.put(owner, m);
    return m;
  }

  /** {@code owner} leaves (its task closes); its generations take part in no further cycle. */
  void leave(final Object owner) {
    members.remove(owner);
  }

  /** A record was processed on this thread. */
  void recordProcessed() {
    processed++;
  }

  /**
   * Whether {@code me}'s punctuation should skip compute to let arriving records in first: records
   * were processed since its previous punctuation and its last compute began less than one budget ago.
   */
  boolean intakeFirst(final Member me, final long now) {
    final boolean arriving = processed != me.processedSeen;
    me.processedSeen = processed;
    if (arriving && now - me.computedAt < budgetNanos) {
      return true;
    }
    me.computedAt = now;
    return false;
  }

  /**
   * {@code me} is about to store and emit what its generations produced: it no longer holds results
   * of another member's cycle.
   */
  void takeResults(final Member me) {
    me.holdsResults = false;
  }

  /**
   * {@code me} punctuates with {@code ready} generations (states loaded and pinned); runs this
   * loop's decode cycle if it is {@code me}'s turn: it has ready generations, no cycle has run since
   * its previous punctuation (else this loop's cycle has run, or its turn is another member's), and
   * no other live member still holds results of the last cycle.
   *
   * @param compute whether compute may run now ({@link #intakeFirst} said no)
   * @return whether a cycle ran
   */
  boolean arrive(final Member me, final List<ActiveGeneration> ready, final boolean compute, final long deadlineNanos) {
    final long now = System.nanoTime();
    final boolean cycleSince = me.seenCycle != cycles;
    me.seenAt = now;
    me.seenCycle = cycles;
    me.offer = ready;
    if (!compute || cycleSince || ready.isEmpty()) {
      return false;
    }
    for (final Member m : members.values()) {
      if (m != me && m.holdsResults && now - m.seenAt < staleNanos) {
        return false;
      }
    }
    cycle(me, now, deadlineNanos);
    me.seenCycle = cycles;
    return true;
  }

  /**
   * Rounds over every live member's ready generations (at least one) until all are done, the
   * deadline has passed, or a generation has drawn its first token: that token then reaches the
   * client with this loop's commit instead of one budget later.
   */
  private void cycle(final Member me, final long now, final long deadlineNanos) {
    cycles++;
    final List<ActiveGeneration> batch = new ArrayList<>();
    for (final Member m : members.values()) {
      if (m == me || now - m.seenAt < staleNanos) {
        for (final ActiveGeneration g : m.offer) {
          if (g.finished == null) {
            batch.add(g);
          }
        }
        m.holdsResults = m != me && !m.offer.isEmpty();
        m.offer = List.of();
      }
    }
    int rounds = 0;
    boolean firstToken = false;
    while (!batch.isEmpty() && (rounds == 0 || (!firstToken && System.nanoTime() < deadlineNanos))) {
      for (int from = 0; from < batch.size(); from += maxBatch) {
        firstToken |= round.run(batch.subList(from, Math.min(batch.size(), from + maxBatch)));
      }
      batch.removeIf(g -> g.finished != null);
      rounds++;
    }
  }
}
