package io.finchstream.processors.conversation;

import com.google.protobuf.InvalidProtocolBufferException;
import io.finchstream.processors.FinchstreamMetrics;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.event.Command;
import io.finchstream.processors.event.EventValidator;
import io.finchstream.processors.event.Inbound;
import io.finchstream.processors.event.ReplyMessages;
import io.finchstream.processors.store.StoreKey;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.DeadLetter;
import io.finchstream.proto.v1.DeferredEvent;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.EventOrigin;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.ForkTransfer;
import io.finchstream.proto.v1.Reply;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the conversations of one stream task: applies their events (or defers them while the
 * conversation generates), receives fork transfers, and, from a wall-clock punctuator, computes
 * pending tokens and advances generations in batches. The parts are small classes with one job
 * each; this class wires them and routes records. Inputs: {@link Inbound} (validated events) and
 * {@link ForkTransfer}, keyed by conversation id.
 */
public final class ConversationProcessor implements Processor<String, Object, Object, Object> {

  private static final Logger LOG = LoggerFactory.getLogger(ConversationProcessor.class);
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /**
   * How long a punctuation waits for a running decode cycle before it leaves the generations to it
   * and lets the stream thread process records: the longest extra wait of a new request.
   */
  private static final long COLLECT_WAIT_NANOS = 50_000_000L;

  private final LoadedModel served;
  private final ProcessorSettings settings;
  private final MemoryBudget budget;
  private final FinchstreamMetrics metrics;
  private final String repliesChild;
  private final String dlqChild;
  private final String forksChild;
  private final EventValidator validator;
  private final ThreadBatchers batchers;

  private ProcessorContext<Object, Object> context;
  private HotStateCache cache;
  private BatchedCompute compute;
  private GenerationLoop generations;
  private DeferredQueue deferred;
  private EventApplier applier;
  private ForkImporter forkImporter;
  private Outputs outputs;
  private ThreadBatcher batcher;
  private ThreadBatcher.Member member;
  private final Set<String> drainAtNextPunctuation = new LinkedHashSet<>();

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
  }

  @Override
  public void init(final ProcessorContext<Object, Object> context) {
    this.context = context;
    leaveBatcher();
    final ConversationStores stores = ConversationStores.of(context, settings.partBytes(), metrics);
    outputs = new ContextOutputs();
    cache = new HotStateCache(budget, metrics);
    final StateLoader loader = new StateLoader(served.model(), stores, cache, metrics);
    final Snapshotter snapshotter =
        new Snapshotter(stores, metrics, settings.snapshotInterval(), settings.snapshotAtTurnEnd());
    compute =
        new BatchedCompute(
            served.model(),
            stores,
            loader,
            cache,
            snapshotter,
            metrics,
            settings.batchConversations(),
            settings.batchTokens());
    cache.onEvict(compute::spill);
    generations =
        new GenerationLoop(
            served.model(),
            served.tokenizer(),
            stores,
            loader,
            cache,
            snapshotter,
            compute,
            outputs);
    deferred = new DeferredQueue(stores);
    applier =
        new EventApplier(
            stores,
            loader,
            cache,
            compute,
            generations,
            new ForkExporter(stores, loader, outputs),
            outputs,
            served.info());
    forkImporter = new ForkImporter(stores, compute, outputs);
    generations.onFinished(drainAtNextPunctuation::add);
    generations.onNewWork(() -> batcher().hurry());
    generations.resumeStored();
    stores.deferred.forEach(
        (key, value) -> {
          final String conversation = StoreKey.conversation(key);
          if (!generations.generating(conversation)) {
            drainAtNextPunctuation.add(conversation);
          }
        });
    context.schedule(
        Duration.ofMillis(settings.computeIntervalMs()),
        PunctuationType.WALL_CLOCK_TIME,
        this::punctuate);
    LOG.info(
        "task {}: conversation processor ready ({} generations resumed)",
        context.taskId(),
        generations.activeCount());
  }

  @Override
  public void process(final Record<String, Object> record) {
    final long cpu = THREADS.getCurrentThreadCpuTime();
    try {
      batcher().recordProcessed();
      metrics.eventDelay(context.currentSystemTimeMs() - record.timestamp());
      switch (record.value()) {
        case Inbound in -> onEvent(in);
        case ForkTransfer t -> importFork(record.key(), t, origin(record));
        default ->
            throw new IllegalArgumentException(
                "unexpected input " + record.value().getClass().getName());
      }
      if (compute.pendingEstimate() >= settings.pendingTokens()) {
        compute.run(System.nanoTime() + settings.computeBudgetMs() * 1_000_000L);
      }
    } finally {
      metrics.processingCpu(THREADS.getCurrentThreadCpuTime() - cpu);
    }
  }

  /** Takes a fork part; a failure is logged and counted, never a stream-thread crash. */
  private void importFork(final String target, final ForkTransfer part, final EventOrigin origin) {
    try {
      forkImporter.accept(target, part, origin);
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
      cancel(in, c.requestId());
      return;
    }
    if (generations.generating(conversation)
        || drainAtNextPunctuation.contains(conversation)
        || deferred.nonEmpty(conversation)) {
      deferred.add(in);
      metrics.event("deferred");
      return;
    }
    applySafely(in);
  }

  /**
   * Applies an event; an unexpected failure dead-letters it instead of crashing the stream thread.
   */
  private boolean applySafely(final Inbound in) {
    try {
      return applier.apply(in);
    } catch (final RuntimeException e) {
      LOG.error(
          "conversation {}: event at {}:{}:{} failed; dead-lettering it",
          in.conversationId(),
          in.origin().getTopic(),
          in.origin().getPartition(),
          in.origin().getOffset(),
          e);
      outputs.reject(
          in.conversationId(),
          in.rawKey(),
          in.rawValue(),
          in.origin(),
          in.requestId(),
          in.replyTo(),
          ErrorCode.INTERNAL,
          "processing failed: " + e);
      return false;
    }
  }

  private void cancel(final Inbound in, final String requestId) {
    final String conversation = in.conversationId();
    metrics.event("cancel");
    if (generations.cancel(conversation, requestId)) {
      return;
    }
    for (final KeyValue<Bytes, DeferredEvent> kv : deferred.list(conversation)) {
      final ConversationEvent event = parse(kv.value);
      if (event != null
          && event.hasGenerate()
          && event.getGenerate().getRequestId().equals(requestId)) {
        deferred.remove(kv.key);
        outputs.reply(
            conversation,
            ReplyMessages.done(
                conversation,
                requestId,
                event.getGenerate().getReplyTo(),
                FinishReason.FINISH_REASON_CANCELLED,
                0,
                0,
                0,
                ""));
        return;
      }
    }
    LOG.debug(
        "conversation {}: cancel of {} matched no running or waiting generation",
        conversation,
        requestId);
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
      final long start = System.nanoTime();
      final long budget = settings.computeBudgetMs() * 1_000_000L;
      final ThreadBatcher b = batcher();
      final boolean computeNow = !b.intakeFirst(member, start);
      if (!b.collect(COLLECT_WAIT_NANOS)) {
        drainDeferred();
        if (computeNow) {
          compute.run(start + budget / 2);
        }
        return;
      }
      b.takeResults(member);
      generations.flush();
      drainDeferred();
      if (computeNow) {
        compute.run(start + (generations.activeCount() > 0 ? budget / 2 : budget));
      }
      final List<ActiveGeneration> ready =
          generations.activeCount() > 0 ? generations.prepare() : List.of();
      generations.flush();
      drainDeferred();
      b.arrive(member, ready, computeNow);
    } finally {
      metrics.processingCpu(THREADS.getCurrentThreadCpuTime() - cpu);
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
   * a new generation.
   */
  private void drainDeferred() {
    while (!drainAtNextPunctuation.isEmpty()) {
      final String conversation = drainAtNextPunctuation.iterator().next();
      drainAtNextPunctuation.remove(conversation);
      for (final KeyValue<Bytes, DeferredEvent> kv : deferred.list(conversation)) {
        deferred.remove(kv.key);
        if (applyDeferred(kv.value)) {
          break;
        }
      }
    }
  }

  private boolean applyDeferred(final DeferredEvent event) {
    final byte[] key = event.getKey().toByteArray();
    final byte[] value = event.getValue().toByteArray();
    return switch (validator.validate(key, value, event.getOrigin())) {
      case EventValidator.Accepted a ->
          a.inbound().command() instanceof Command.Cancel ? false : applySafely(a.inbound());
      case EventValidator.Rejected r -> {
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

  @Override
  public void close() {
    leaveBatcher();
    if (cache != null) {
      cache.clear();
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
