package io.finchstream.processors.conversation;

import com.google.protobuf.InvalidProtocolBufferException;
import io.finchstream.processors.FinchstreamMetrics;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.event.Command;
import io.finchstream.processors.event.EventValidator;
import io.finchstream.processors.event.ForkAborts;
import io.finchstream.processors.event.Inbound;
import io.finchstream.processors.event.ReplyMessages;
import io.finchstream.processors.store.StoreKey;
import io.finchstream.proto.AutoConversations;
import io.finchstream.proto.ConversationKeys;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.DeadLetter;
import io.finchstream.proto.v1.DeferredEvent;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.EventOrigin;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.ForkTransfer;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.Reply;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The conversations of one stream task, as a Kafka Streams processor: routes validated events
 * ({@link Inbound}) to the {@link ConversationLedger} (or defers them while the conversation
 * generates), fork transfers to the {@link ForkImporter}, started generations to {@link
 * Generations}, and, from a wall-clock punctuator, runs batched ingest ({@link BatchedCompute}) and
 * hands ready generations to the stream thread's {@link ThreadBatcher}. It owns no state itself:
 * each part is created once in {@link #init} and given what it talks to.
 */
public final class ConversationProcessor implements Processor<String, Object, Object, Object> {

  private static final Logger LOG = LoggerFactory.getLogger(ConversationProcessor.class);
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /**
   * How long a punctuation waits for a running decode cycle before it leaves the generations to it
   * and lets the stream thread process records: the longest extra wait of a new request.
   */
  private static final long COLLECT_WAIT_NANOS = 50_000_000L;

  /** Conversations an idle-expiry punctuation looks at. */
  private static final int EXPIRY_SCAN = 1000;

  /** Deferred events read from the store at a time when a queue drains. */
  private static final int DRAIN_STEP = 32;

  private final LoadedModel served;
  private final ProcessorSettings settings;
  private final MemoryBudget budget;
  private final FinchstreamMetrics metrics;
  private final String repliesChild;
  private final String dlqChild;
  private final String forksChild;
  private final EventValidator validator;
  private final LengthBound lengths;
  private final ThreadBatchers batchers;

  private ProcessorContext<Object, Object> context;
  private ConversationStores stores;
  private ConversationLedger ledger;
  private BatchedCompute compute;
  private Generations generations;
  private DeferredQueue deferred;
  private ForkImporter forkImporter;
  private ForkReservations reservations;
  private long nextSettledExpiryMs;
  private IdleScan idleScan;
  private Outputs outputs;
  private ThreadBatcher batcher;
  private ThreadBatcher.Member member;
  private final Set<String> drainAtNextPunctuation = new LinkedHashSet<>();

  /**
   * Conversations whose queue starts with a Fork that waits for their pending tokens to be computed
   * (in memory only: after a restart the Fork is applied at once, as before).
   */
  private final Set<String> awaitingCompute = new LinkedHashSet<>();

  /**
   * Whether the stored generations and queues were picked up (at the first punctuation or event
   * after {@link #init}). Reset by every {@code init}: Kafka Streams initialises the same instance
   * again when it revives a task (closed dirty after a {@code TaskCorruptedException}, its state
   * restored) or resumes a suspended one, and that instance must resume what the stores hold as a
   * new one would.
   */
  private boolean resumed;

  /**
   * The punctuations {@link #init} scheduled, cancelled by {@link #close}: Kafka Streams keeps a
   * task's schedules when it suspends or revives the task, so without this every {@code init} of
   * the same instance would add one more punctuator of each kind.
   */
  private final List<Cancellable> punctuations = new ArrayList<>();

  /** Times {@link #init} ran on this instance (more than once: a revived or resumed task). */
  private int inits;

  /**
   * @param repliesChild name of the replies sink
   * @param dlqChild name of the dead-letter sink
   * @param forksChild name of the fork-transfer sink
   * @param batchers the topology's per-thread batchers (decode across the tasks of a stream thread)
   */
  public ConversationProcessor(
      final LoadedModel served,
      final ProcessorSettings settings,
      final MemoryBudget budget,
      final FinchstreamMetrics metrics,
      final String repliesChild,
      final String dlqChild,
      final String forksChild,
      final ThreadBatchers batchers) {
    this.served = served;
    this.settings = settings;
    this.budget = budget;
    this.metrics = metrics;
    this.repliesChild = repliesChild;
    this.dlqChild = dlqChild;
    this.forksChild = forksChild;
    this.batchers = batchers;
    this.validator =
        new EventValidator(served.tokenizer(), served.info().vocabSize(), settings.limits());
    this.lengths =
        LengthBound.of(settings.maxConversationTokens(), served.model(), budget.maxBytes());
  }

  @Override
  public void init(final ProcessorContext<Object, Object> context) {
    this.context = context;
    leaveBatcher();
    // The same instance may be initialised again (a revived or resumed task): nothing of the last
    // run may remain, and the stores' generations and queues are picked up again (resume()).
    resumed = false;
    drainAtNextPunctuation.clear();
    awaitingCompute.clear();
    stores = ConversationStores.of(context, settings.partBytes(), metrics);
    outputs = new ContextOutputs();
    ledger = new ConversationLedger(served.model(), stores, budget, outputs, settings);
    compute =
        new BatchedCompute(
            served.model(), ledger, metrics, settings.batchConversations(), settings.batchTokens());
    generations = new Generations(served.tokenizer(), stores.generations, ledger, outputs);
    deferred = new DeferredQueue(stores);
    forkImporter = new ForkImporter(stores.forkStaging, ledger, outputs);
    reservations = new ForkReservations(deferred, stores.forkSettled);
    idleScan = new IdleScan(stores.meta);
    cancelPunctuations(); // close() did; in case it did not run
    punctuations.add(
        context.schedule(
            Duration.ofMillis(settings.computeIntervalMs()),
            PunctuationType.WALL_CLOCK_TIME,
            this::punctuate));
    final long shortestExpiry =
        Math.min(
            settings.idleExpiryMs() > 0 ? settings.idleExpiryMs() : Long.MAX_VALUE,
            settings.autoIdleExpiryMs() > 0 ? settings.autoIdleExpiryMs() : Long.MAX_VALUE);
    if (shortestExpiry < Long.MAX_VALUE) {
      punctuations.add(
          context.schedule(
              Duration.ofMillis(Math.clamp(shortestExpiry / 10, 1_000L, 60_000L)),
              PunctuationType.WALL_CLOCK_TIME,
              this::expireIdle));
    }
    inits++;
    if (inits == 1) {
      LOG.info("task {}: conversation processor ready", context.taskId());
    } else {
      LOG.info(
          "task {}: conversation processor ready (initialised again, {} times: a revived or"
              + " resumed task)",
          context.taskId(),
          inits);
    }
  }

  @Override
  public void process(final Record<String, Object> record) {
    final long cpu = THREADS.getCurrentThreadCpuTime();
    try {
      if (!resumed) {
        resume(); // before the first event: a stored generation defers its conversation's events
      }
      batcher().recordProcessed();
      metrics.eventDelay(context.currentSystemTimeMs() - record.timestamp());
      switch (record.value()) {
        case Inbound in -> onEvent(in);
        case ForkTransfer t -> importFork(record.key(), t, origin(record));
        default ->
            throw new IllegalArgumentException(
                "unexpected input " + record.value().getClass().getName());
      }
      if (ledger.pendingTokens() >= settings.pendingTokens()) {
        compute.run(System.nanoTime() + settings.computeBudgetMs() * 1_000_000L);
      }
    } finally {
      metrics.processingCpu(THREADS.getCurrentThreadCpuTime() - cpu);
    }
  }

  /**
   * Takes a fork part; once the fork has settled, releases the target's reservation and drains the
   * events that waited behind it. A failure is logged and counted, never a stream-thread crash.
   */
  private void importFork(final String target, final ForkTransfer part, final EventOrigin origin) {
    try {
      final ForkImporter.Settled settled = forkImporter.accept(target, part, origin);
      final EventOrigin reservation =
          settled == null
              ? null
              : reservations.settle(
                  target, settled.forkEventId(), settled.reserved(), context.currentSystemTimeMs());
      if (reservation != null) {
        ledger.touch(target, reservation); // a reader waiting for the reservation sees the fork
        drainAtNextPunctuation.add(target);
      }
    } catch (final RuntimeException e) {
      LOG.error(
          "fork {} to {}: part {}/{} at {}:{}:{} failed; the fork is dropped",
          part.getForkId(),
          target,
          part.getPart(),
          part.getParts(),
          origin.getTopic(),
          origin.getPartition(),
          origin.getOffset(),
          e);
      metrics.deadLetter(ErrorCode.INTERNAL.name());
    }
  }

  private void onEvent(final Inbound in) {
    final String conversation = in.conversationId();
    if (in.command() instanceof Command.Cancel c) {
      cancel(in, c.requestId(), c.shownTokens());
      return;
    }
    if (in.command() instanceof Command.ReserveFork r) {
      reserve(in, r);
      return;
    }
    final boolean generating = generations.generating(conversation);
    if (generating
        || drainAtNextPunctuation.contains(conversation)
        || deferred.nonEmpty(conversation)) {
      if (!(in.command() instanceof Command.Delete)
          && deferred.span(conversation) >= settings.maxDeferredEvents()) {
        refuseWaiting(in);
        return;
      }
      if (in.command() instanceof Command.Fork f
          && ConversationKeys.sameTree(conversation, f.target())) {
        deferred.holdForFork(f.target(), conversation);
      }
      if (in.command() instanceof Command.Delete && ledger.requestDelete(conversation)) {
        // A Delete does not wait for the generation: it is cancelled now, and the Generates
        // that wait before the Delete are answered CANCELLED when the queue drains.
        if (generating) {
          generations.cancelRunning(conversation);
          batcher().hurry();
        }
      }
      deferred.add(in);
      metrics.event("deferred");
      return;
    }
    if (in.command() instanceof Command.Fork f
        && f.atMessage() == null
        && ConversationKeys.sameTree(conversation, f.target())
        && ledger.computing(conversation)) {
      // A branch of the whole conversation (n choices) waits until the state holds all of it, so
      // that every branch copies that one prefill instead of replaying the tail itself; the
      // branch's own events wait for the fork, as behind a generation.
      deferred.holdForFork(f.target(), conversation);
      deferred.add(in);
      awaitingCompute.add(conversation);
      metrics.event("fork_awaits_compute");
      return;
    }
    applySafely(in);
  }

  /** The conversations whose Fork waits for their state to be computed: drained once it is. */
  private void releaseComputed() {
    for (final Iterator<String> it = awaitingCompute.iterator(); it.hasNext(); ) {
      final String conversation = it.next();
      if (!ledger.computing(conversation)) {
        it.remove();
        drainAtNextPunctuation.add(conversation);
      }
    }
  }

  /**
   * A reservation of this conversation for a cross-partition Fork: a hold at the end of its queue
   * (events after it wait for the fork), unless the fork has already settled. Refused like any
   * event when the queue is full; the fork then proceeds unreserved.
   */
  private void reserve(final Inbound in, final Command.ReserveFork r) {
    final String conversation = in.conversationId();
    if (deferred.span(conversation) >= settings.maxDeferredEvents()) {
      refuseWaiting(in);
      return;
    }
    final boolean held =
        reservations.reserve(
            conversation, r.source(), r.forkEventId(), in.origin(), context.currentSystemTimeMs());
    ledger.touch(in.conversationId(), in.origin());
    metrics.event(held ? "fork_reserved" : "fork_reserved_late");
  }

  /**
   * The conversation's queue of waiting events is full ({@code max.deferred.events}): refuses
   * {@code in} (dead letter, Error reply to a Generate's client); it counts as applied.
   */
  private void refuseWaiting(final Inbound in) {
    refuse(
        in,
        ErrorCode.DEFERRED_QUEUE_FULL,
        "too many events wait behind this conversation's running generation"
            + " (max.deferred.events="
            + settings.maxDeferredEvents()
            + "); retry once it has finished");
    metrics.event("refused_waiting");
  }

  /**
   * Refuses {@code in}, an event the gateway accepted: it counts as applied, is kept among the
   * conversation's refusals (what its client reads back), aborts it if it is a reserved Fork, and
   * goes to the dead letters with an Error reply.
   */
  private void refuse(final Inbound in, final ErrorCode code, final String reason) {
    ledger.refused(
        in.conversationId(),
        Refusals.of(in.eventId(), in.origin(), code, reason, outputs.nowMs()),
        true);
    abortFork(in.conversationId(), in.rawValue(), in.rawKey(), in.origin(), code);
    outputs.reject(
        in.conversationId(),
        in.rawKey(),
        in.rawValue(),
        in.origin(),
        in.requestId(),
        in.replyTo(),
        code,
        reason);
  }

  /**
   * Applies an event; an unexpected failure dead-letters it instead of crashing the stream thread.
   */
  private boolean applySafely(final Inbound in) {
    try {
      return apply(in);
    } catch (final RuntimeException e) {
      LOG.error(
          "conversation {}: event at {}:{}:{} failed; dead-lettering it",
          in.conversationId(),
          in.origin().getTopic(),
          in.origin().getPartition(),
          in.origin().getOffset(),
          e);
      refuse(in, ErrorCode.INTERNAL, "processing failed: " + e);
      return false;
    }
  }

  /** An append, unless it would pass the conversation's length bound. */
  private Outcome append(final Inbound in, final Command.Append a) {
    final long tokens = tokens(in.conversationId());
    return lengths.admits(tokens, a.tokens().length)
        ? ledger.append(in, a)
        : lengths.refusal(tokens, a.tokens().length);
  }

  /** A generation, cut to end at the conversation's length bound (refused without room). */
  private Outcome generate(final Inbound in, final Command.StartGeneration g) {
    final long tokens = tokens(in.conversationId());
    final Command.StartGeneration cut = lengths.cut(tokens, g);
    return cut == null
        ? lengths.refusal(tokens, g.prefixTokens().length + 1L)
        : ledger.generate(in, cut);
  }

  /** Tokens {@code conversation} holds (0 before it exists). */
  private long tokens(final String conversation) {
    final ConversationMeta meta = stores.meta(conversation);
    return meta == null ? 0 : meta.getTokens();
  }

  /** Applies {@code in} to its conversation; returns true if it started a generation. */
  private boolean apply(final Inbound in) {
    final String automatic = createsAutomatic(in);
    final Outcome outcome =
        switch (in.command()) {
          case Command.Append a -> append(in, a);
          case Command.StartGeneration g -> generate(in, g);
          case Command.Fork f -> ledger.fork(in, f);
          case Command.Rewind r -> ledger.rewind(in, r);
          case Command.Reset r -> ledger.reset(in);
          case Command.Delete d -> ledger.delete(in);
          case Command.Cancel c -> Outcome.APPLIED;
          case Command.ReserveFork r -> Outcome.APPLIED; // never deferred: handled in onEvent
        };
    if (automatic != null && stores.meta.get(StoreKey.id(automatic)) != null) {
      boundAutomatic(automatic);
    }
    return switch (outcome) {
      case Outcome.Applied a -> false;
      case Outcome.Started s -> {
        generations.start(in.conversationId(), s.progress());
        batcher().hurry();
        yield true;
      }
      case Outcome.Rejected r -> {
        refuse(in, r.code(), r.reason());
        yield false;
      }
    };
  }

  /**
   * Cancels a running or waiting generation at once (a cancel never waits). It counts as applied
   * (so a reader waiting for it is not held up, reliability audit S3-1) at once when no event of
   * the conversation waits, else once the events before it are applied: it also queues up behind
   * them, as a marker.
   */
  private void cancel(final Inbound in, final String requestId, final int shownTokens) {
    final String conversation = in.conversationId();
    metrics.event("cancel");
    if (generations.cancel(conversation, requestId, shownTokens)) {
      batcher().hurry();
    } else if (!cancelWaiting(conversation, requestId)) {
      LOG.debug(
          "conversation {}: cancel of {} matched no running or waiting generation",
          conversation,
          requestId);
    }
    if (deferred.nonEmpty(conversation)) {
      deferred.add(in);
    } else {
      ledger.touch(in.conversationId(), in.origin());
    }
  }

  private boolean cancelWaiting(final String conversation, final String requestId) {
    for (final KeyValue<Bytes, DeferredEvent> kv : deferred.list(conversation)) {
      final ConversationEvent event = parse(kv.value);
      if (event != null
          && event.hasGenerate()
          && event.getGenerate().getRequestId().equals(requestId)) {
        deferred.remove(kv.key);
        answerCancelled(conversation, event.getGenerate());
        return true;
      }
    }
    return false;
  }

  private void answerCancelled(final String conversation, final Generate g) {
    outputs.reply(
        conversation,
        ReplyMessages.done(
            conversation,
            g.getRequestId(),
            g.getReplyTo(),
            FinishReason.FINISH_REASON_CANCELLED,
            0,
            0,
            0,
            ""));
  }

  /**
   * While the thread's decode cycle runs, computes pending tokens of other conversations only.
   * Otherwise stores and emits what this task's generations produced in the last cycle, computes
   * pending tokens (unless records are arriving: then they go first), and offers the generations
   * that are ready to the thread's batcher, which starts the next cycle (for every task of the
   * thread) once every task has stored its results.
   */
  private void punctuate(final long timestamp) {
    final long cpu = THREADS.getCurrentThreadCpuTime();
    try {
      if (!resumed) {
        resume();
      }
      expireSettledForks();
      final long start = System.nanoTime();
      final long budget = settings.computeBudgetMs() * 1_000_000L;
      final ThreadBatcher b = batcher();
      final boolean computeNow = !b.intakeFirst(member, start);
      if (!b.collect(COLLECT_WAIT_NANOS)) {
        drainDeferred();
        compute(start + budget / 2, computeNow);
        if (compute.takeReadied()) {
          b.hurry(); // a generation can decode now: it joins the next cycle, not one 200 ms later
        }
        return;
      }
      generations.store(b.takeResults(member));
      drainDeferred();
      compute(start + (generations.activeCount() > 0 ? budget / 2 : budget), computeNow);
      compute.takeReadied(); // prepare() below offers it
      final List<Decoder> ready = generations.activeCount() > 0 ? generations.prepare() : List.of();
      drainDeferred();
      b.arrive(member, ready, computeNow);
    } finally {
      metrics.processingCpu(THREADS.getCurrentThreadCpuTime() - cpu);
    }
  }

  /**
   * Computes pending tokens until {@code deadlineNanos}: all of them, or while records arrive
   * ({@code all} false) only those a generation waits for.
   */
  private void compute(final long deadlineNanos, final boolean all) {
    if (all) {
      compute.run(deadlineNanos);
    } else {
      compute.runUrgent(deadlineNanos);
    }
  }

  /**
   * Picks up what the stores hold from a previous owner of the task: running generations (resumed
   * at the next token) and conversations with waiting events (drained). Runs at the first
   * punctuation, once the stores are restored.
   */
  private void resume() {
    resumed = true;
    generations.resumeStored();
    stores.deferred.forEach(
        (key, value) -> {
          final String conversation = StoreKey.conversation(key);
          if (!generations.generating(conversation)) {
            drainAtNextPunctuation.add(conversation);
          }
        });
    LOG.info("task {}: {} generations resumed", context.taskId(), generations.activeCount());
  }

  /**
   * Deletes conversations idle for longer than {@code conversation.idle.expiry.ms}, a bounded
   * number per call; never one with a running generation or waiting events.
   */
  private void expireIdle(final long now) {
    final long nowMs = context.currentSystemTimeMs();
    for (final String conversation :
        idleScan.next(
            settings.idleExpiryMs() > 0 ? nowMs - settings.idleExpiryMs() : Long.MIN_VALUE,
            settings.autoIdleExpiryMs() > 0 ? nowMs - settings.autoIdleExpiryMs() : Long.MIN_VALUE,
            EXPIRY_SCAN)) {
      if (idle(conversation)) {
        ledger.expire(conversation, "expired");
      }
    }
  }

  /** Whether {@code conversation} has no running generation and no waiting events. */
  private boolean idle(final String conversation) {
    return !generations.generating(conversation)
        && !drainAtNextPunctuation.contains(conversation)
        && !deferred.nonEmpty(conversation);
  }

  /**
   * The automatic conversation {@code in} would create (its own, or a Fork's target), or null: the
   * event is about an automatic conversation that does not exist yet.
   */
  private String createsAutomatic(final Inbound in) {
    final String created =
        switch (in.command()) {
          case Command.Fork f -> f.target();
          case Command.Append a -> in.conversationId();
          case Command.StartGeneration g -> in.conversationId();
          default -> null;
        };
    return created != null
            && AutoConversations.isAutomatic(created)
            && stores.meta.get(StoreKey.id(created)) == null
        ? created
        : null;
  }

  /**
   * Keeps the automatic conversations of {@code created}'s tenant in this partition at most {@code
   * auto.conversations.max.per.tenant}: the least recently changed go first (never {@code created}
   * itself, nor one that is generating or has waiting events). Runs when one was created, so it
   * reads at most the bound plus one metadata records.
   */
  private void boundAutomatic(final String created) {
    final String prefix = AutoConversations.tenantPrefix(created);
    final List<KeyValue<Bytes, ConversationMeta>> all =
        stores.meta.range(StoreKey.id(prefix), StoreKey.id(prefix + "\uffff"), Integer.MAX_VALUE);
    int excess = all.size() - settings.autoMaxPerTenant();
    if (excess <= 0) {
      return;
    }
    final List<KeyValue<Bytes, ConversationMeta>> oldestFirst = new ArrayList<>(all);
    oldestFirst.sort(Comparator.comparingLong(kv -> kv.value.getUpdatedAtMs()));
    for (final KeyValue<Bytes, ConversationMeta> kv : oldestFirst) {
      if (excess <= 0) {
        return;
      }
      final String conversation = StoreKey.idToConversation(kv.key);
      if (!conversation.equals(created) && idle(conversation)) {
        ledger.expire(conversation, "evicted");
        excess--;
      }
    }
  }

  /** Once a minute: removes settled-fork markers whose reservation never came. */
  private void expireSettledForks() {
    final long now = context.currentSystemTimeMs();
    if (now >= nextSettledExpiryMs) {
      nextSettledExpiryMs = now + 60_000L;
      final int removed = reservations.expire(now);
      if (removed > 0) {
        LOG.info("task {}: {} settled-fork markers expired", context.taskId(), removed);
      }
    }
  }

  private void leaveBatcher() {
    if (batcher != null) {
      batcher.leave(this);
      batcher = null;
    }
  }

  /**
   * This thread's batcher, joined on first use (a processor runs on its task's stream thread only).
   */
  private ThreadBatcher batcher() {
    if (batcher == null) {
      batcher = batchers.current();
      member = batcher.join(this);
    }
    return batcher;
  }

  /**
   * Applies the deferred events of conversations whose generation ended, in order, until one starts
   * a new generation; reads the queue a few events at a time.
   */
  private void drainDeferred() {
    drainAtNextPunctuation.addAll(generations.takeEnded());
    releaseComputed();
    while (!drainAtNextPunctuation.isEmpty()) {
      final String conversation = drainAtNextPunctuation.iterator().next();
      drainAtNextPunctuation.remove(conversation);
      boolean stop = false;
      while (!stop) {
        final List<KeyValue<Bytes, DeferredEvent>> next = deferred.first(conversation, DRAIN_STEP);
        if (next.isEmpty()) {
          break;
        }
        for (final KeyValue<Bytes, DeferredEvent> kv : next) {
          if (!kv.value.getAwaitingForkFrom().isEmpty()) {
            stop = true; // held for a fork into it: the fork's drain releases it
            break;
          }
          deferred.remove(kv.key);
          if (applyDeferred(conversation, kv.value)) {
            stop = true; // a generation started
            break;
          }
        }
      }
    }
  }

  private boolean applyDeferred(final String conversation, final DeferredEvent event) {
    final byte[] key = event.getKey().toByteArray();
    final byte[] value = event.getValue().toByteArray();
    return switch (validator.validate(key, value, event.getOrigin())) {
      case EventValidator.Accepted a -> {
        if (a.inbound().command() instanceof Command.Cancel) {
          // acted on when it came: only its offset is applied now
          ledger.touch(conversation, a.inbound().origin());
          yield false;
        }
        if (a.inbound().command() instanceof Command.StartGeneration g
            && ledger.deleteRequested(conversation)) {
          answerCancelled(conversation, g.request());
          yield false;
        }
        final boolean started = applySafely(a.inbound());
        if (a.inbound().command() instanceof Command.Fork f
            && deferred.releaseFork(f.target(), conversation)) {
          drainAtNextPunctuation.add(f.target());
        }
        yield started;
      }
      case EventValidator.Rejected r -> {
        abortFork(conversation, value, key, event.getOrigin(), r.rejection().code());
        outputs.reject(
            r.rejection().conversationId(),
            key,
            value,
            event.getOrigin(),
            r.rejection().requestId(),
            r.rejection().replyTo(),
            r.rejection().code(),
            r.rejection().reason());
        yield false;
      }
    };
  }

  /**
   * {@code source} refused the event {@code value}: if it is a Fork into another tree, tells the
   * new id's owner (a header-only, aborted transfer), which releases the new id's reservation. The
   * Fork itself is dead-lettered by the caller.
   */
  private void abortFork(
      final String source,
      final byte[] value,
      final byte[] key,
      final EventOrigin origin,
      final ErrorCode code) {
    final ForkAborts.Abort abort = ForkAborts.of(source, key, value, origin, code);
    if (abort != null) {
      outputs.fork(abort.target(), abort.transfer());
      metrics.event("fork_aborted");
    }
  }

  private EventOrigin origin(final Record<String, Object> record) {
    final EventOrigin.Builder o = EventOrigin.newBuilder().setTimestampMs(record.timestamp());
    context
        .recordMetadata()
        .ifPresent(m -> o.setTopic(m.topic()).setPartition(m.partition()).setOffset(m.offset()));
    return o.build();
  }

  private static ConversationEvent parse(final DeferredEvent event) {
    try {
      return ConversationEvent.parseFrom(event.getValue());
    } catch (final InvalidProtocolBufferException e) {
      return null;
    }
  }

  private void cancelPunctuations() {
    punctuations.forEach(Cancellable::cancel);
    punctuations.clear();
  }

  @Override
  public void close() {
    cancelPunctuations();
    try {
      leaveBatcher();
    } finally {
      if (ledger != null) {
        ledger.close();
      }
    }
    if (context != null) {
      LOG.info("task {}: conversation processor closed", context.taskId());
    }
  }

  /** Outputs through the processor context (part of the task's transaction). */
  private final class ContextOutputs implements Outputs {

    @Override
    public void reply(final String conversation, final Reply reply) {
      context.forward(
          new Record<>(conversation, reply, context.currentSystemTimeMs()), repliesChild);
    }

    @Override
    public void deadLetter(final byte[] key, final DeadLetter deadLetter) {
      context.forward(new Record<>(key, deadLetter, context.currentSystemTimeMs()), dlqChild);
    }

    @Override
    public void fork(final String target, final ForkTransfer part) {
      context.forward(new Record<>(target, part, context.currentSystemTimeMs()), forksChild);
    }

    @Override
    public long nowMs() {
      return context.currentSystemTimeMs();
    }

    @Override
    public FinchstreamMetrics metrics() {
      return metrics;
    }
  }
}
