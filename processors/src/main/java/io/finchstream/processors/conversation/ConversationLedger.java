package io.finchstream.processors.conversation;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelInfo;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.TokenCache;
import io.finchstream.processors.FinchstreamMetrics;
import io.finchstream.processors.event.Command;
import io.finchstream.processors.event.Inbound;
import io.finchstream.processors.store.ChunkedBlobs;
import io.finchstream.processors.store.StoreCorruptedException;
import io.finchstream.processors.store.StoreKey;
import io.finchstream.proto.MessageHistory;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.EventOrigin;
import io.finchstream.proto.v1.ForkHeader;
import io.finchstream.proto.v1.ForkTransfer;
import io.finchstream.proto.v1.GenerationProgress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owner of the state of a task's conversations: the only writer of their metadata, token log,
 * snapshots and cache blocks, and the keeper of their hot (computed) copies. Events arrive through
 * {@link Conversations}, batched ingest through {@link PendingWork}, running generations through
 * {@link GenerationHost}; evictions of hot copies through {@link HotStateCache.Evictions}.
 *
 * <p>Durable tokens first, compute later: an event writes its tokens to the log and the metadata in
 * its transaction; the states catch up when batched ingest asks for {@link #work}. Snapshots are
 * taken in one place ({@link #snapshot}) when they are due: every {@code snapshot.interval.tokens}
 * computed tokens, at the end of a turn, and when a hot copy with unsnapshotted progress is
 * evicted. One instance per processor instance (per task); not thread-safe (the stream thread only;
 * the decode thread gets the pinned states of generations through their {@link Decoder}s).
 */
final class ConversationLedger
    implements Conversations, PendingWork, GenerationHost, HotStateCache.Evictions {

  private static final Logger LOG = LoggerFactory.getLogger(ConversationLedger.class);

  /** A generation attached to a conversation. */
  private static final class Attachment {
    /** The log is kept from here (the generation's first generated token). */
    final long keepLogFrom;

    /** The generation advances the state itself (prefill done); batched ingest leaves it alone. */
    boolean ownsState;

    Attachment(final long keepLogFrom) {
      this.keepLogFrom = keepLogFrom;
    }
  }

  private final LanguageModel model;
  private final ModelInfo info;
  private final ConversationStores stores;
  private final HotStateCache hot;
  private final Outputs out;
  private final FinchstreamMetrics metrics;
  private final long snapshotInterval;
  private final boolean snapshotAtTurnEnd;

  /** Conversations with tokens to compute → whether a generation waits for them. */
  private final LinkedHashMap<String, Boolean> pending = new LinkedHashMap<>();

  /** Conversations whose turn ended: snapshot when fully computed. */
  private final Set<String> turnEnded = new HashSet<>();

  /** Conversations with a running generation. */
  private final Map<String, Attachment> attached = new HashMap<>();

  /** Hot entries handed out as {@link Work} and not yet reported computed. */
  private final Map<String, HotStateCache.Entry> inFlight = new HashMap<>();

  private long pendingTokens;

  ConversationLedger(
      final LanguageModel model,
      final ConversationStores stores,
      final MemoryBudget budget,
      final Outputs out,
      final ProcessorSettings settings) {
    this.model = model;
    this.info = model.info();
    this.stores = stores;
    this.out = out;
    this.metrics = out.metrics();
    this.snapshotInterval = settings.snapshotInterval();
    this.snapshotAtTurnEnd = settings.snapshotAtTurnEnd();
    this.hot = new HotStateCache(budget, metrics, this);
  }

  /** Drops every hot copy and returns its memory to the budget (processor close). */
  void close() {
    hot.clear();
  }

  // ---- Conversations: the events ------------------------------------------------------------

  @Override
  public Outcome append(final Inbound in, final Command.Append a) {
    final String conversation = in.conversationId();
    final int[] tokens = a.tokens();
    final ConversationMeta meta = existingOrNew(in);
    final Outcome refused = checkModel(conversation, meta);
    if (refused != null) {
      return refused;
    }
    stores.log.append(conversation, meta.getTokens(), tokens);
    final ConversationMeta.Builder updated = advanced(meta, in.origin(), tokens.length);
    if (a.text() != null) {
      MessageHistory.recordText(updated, a.role(), a.text());
    } else {
      MessageHistory.recordTokens(updated, IntStream.of(tokens).boxed().toList());
    }
    stores.putMeta(conversation, updated.build());
    markPending(conversation, tokens.length);
    metrics.tokensIngested(tokens.length);
    metrics.event("append");
    return Outcome.APPLIED;
  }

  @Override
  public Outcome generate(final Inbound in, final Command.StartGeneration g) {
    final String conversation = in.conversationId();
    final ConversationMeta meta = existingOrNew(in);
    final Outcome refused = checkModel(conversation, meta);
    if (refused != null) {
      return refused;
    }
    final String requestId = g.request().getRequestId();
    if (requestId.equals(meta.getLastRequestId())) {
      return new Outcome.Rejected(
          ErrorCode.DUPLICATE_REQUEST,
          "generate: request " + requestId + " was already accepted for this conversation");
    }
    final int[] prefix = g.prefixTokens();
    final long start = meta.getTokens() + prefix.length;
    if (start == 0) {
      return new Outcome.Rejected(
          ErrorCode.INVALID_PARAMETERS,
          "generate: the conversation is empty; append text first (or give prefix_text)");
    }
    stores.log.append(conversation, meta.getTokens(), prefix);
    stores.putMeta(
        conversation,
        advanced(meta, in.origin(), prefix.length).setLastRequestId(requestId).build());
    final GenerationProgress progress =
        GenerationProgress.newBuilder()
            .setRequest(g.request())
            .setEventId(in.eventId())
            .setStartPosition(start)
            .setPromptTokens(prefix.length)
            .setSeed(g.params().seed())
            .setMaxTokens(g.params().maxTokens())
            .setAcceptedAtMs(out.nowMs())
            .build();
    attach(conversation, start);
    pendingTokens += prefix.length;
    metrics.tokensIngested(prefix.length);
    metrics.event("generate");
    return new Outcome.Started(progress);
  }

  @Override
  public Outcome fork(final Inbound in, final Command.Fork f) {
    final String source = in.conversationId();
    final ConversationMeta meta = stores.meta(source);
    if (meta == null) {
      return new Outcome.Rejected(
          ErrorCode.UNKNOWN_CONVERSATION,
          "fork: the source conversation " + source + " does not exist");
    }
    final Outcome refused = checkModel(source, meta);
    if (refused != null) {
      return refused;
    }
    for (final ForkTransfer part : ForkTransfers.export(stores, source, meta, in)) {
      out.fork(f.target(), part);
    }
    stores.putMeta(source, touched(meta, in.origin()).build());
    metrics.event("fork");
    return Outcome.APPLIED;
  }

  /**
   * Installs a complete fork transfer under {@code target}, unless it exists (then {@link
   * ErrorCode#CONVERSATION_EXISTS}).
   */
  Outcome install(
      final String target,
      final ForkHeader header,
      final List<ForkTransfer> parts,
      final EventOrigin origin) {
    if (stores.meta(target) != null) {
      return new Outcome.Rejected(
          ErrorCode.CONVERSATION_EXISTS,
          "fork: the new conversation " + target + " already exists");
    }
    final ConversationMeta source = header.getSourceMeta();
    final long logStart = ForkTransfers.install(stores, target, source, parts);
    final long now = out.nowMs();
    final ConversationMeta meta =
        source.toBuilder()
            .setIncarnation(Incarnations.of(origin))
            .setForkedFrom(header.getSourceConversationId())
            .setLastTopic(origin.getTopic())
            .setLastPartition(origin.getPartition())
            .setLastOffset(origin.getOffset())
            .setLastRequestId("")
            .setLogStart(logStart)
            .setEventsApplied(0)
            .setGenerationsFinished(0)
            .setCreatedAtMs(now)
            .setUpdatedAtMs(now)
            .build();
    stores.putMeta(target, meta);
    markPending(target, meta.getTokens() - meta.getSnapshotPosition());
    metrics.event("fork_installed");
    LOG.debug(
        "fork installed: {} -> {} ({} tokens)",
        header.getSourceConversationId(),
        target,
        meta.getTokens());
    return Outcome.APPLIED;
  }

  @Override
  public Outcome reset(final Inbound in) {
    final String conversation = in.conversationId();
    final ConversationMeta meta = stores.meta(conversation);
    metrics.event("reset");
    if (meta == null) {
      return Outcome.APPLIED;
    }
    stores.deleteHistory(conversation);
    stores.putMeta(
        conversation,
        advanced(meta, in.origin(), 0)
            .setModelId(info.id())
            .setTokens(0)
            .setSnapshotPosition(0)
            .setSnapshotParts(0)
            .setLogStart(0)
            .setCacheBytes(0)
            .setIncarnation(Incarnations.of(in.origin()))
            .setMessages(0)
            .clearMessageDigest()
            .build());
    hot.remove(conversation);
    forget(conversation);
    return Outcome.APPLIED;
  }

  @Override
  public Outcome delete(final Inbound in) {
    final String conversation = in.conversationId();
    stores.deleteHistory(conversation);
    stores.meta.delete(StoreKey.id(conversation));
    hot.remove(conversation);
    forget(conversation);
    metrics.event("delete");
    return Outcome.APPLIED;
  }

  // ---- PendingWork: batched ingest ----------------------------------------------------------

  @Override
  public List<String> pending() {
    if (pending.isEmpty()) {
      pendingTokens = 0;
      return List.of();
    }
    final List<String> urgent = new ArrayList<>();
    final List<String> normal = new ArrayList<>();
    pending.forEach((c, isUrgent) -> (isUrgent ? urgent : normal).add(c));
    urgent.addAll(normal);
    return urgent;
  }

  /** Roughly how many tokens wait to be computed (triggers an early round). */
  long pendingTokens() {
    return pendingTokens;
  }

  @Override
  public Work work(final String conversation, final int maxTokens) {
    final Boolean urgent = pending.remove(conversation);
    final ConversationMeta meta = stores.meta(conversation);
    final Attachment a = attached.get(conversation);
    if (meta == null || (a != null && a.ownsState)) {
      return null;
    }
    final HotStateCache.Entry entry;
    try {
      entry = load(conversation, meta);
    } catch (final RuntimeException e) {
      LOG.error(
          "conversation {}: cannot load its state, skipping it until its next event: {}",
          conversation,
          e.getMessage());
      forget(conversation);
      return null;
    }
    final long position = entry.position();
    if (position >= meta.getTokens()) {
      afterCompute(conversation, entry, meta);
      return null;
    }
    final int n = (int) Math.min(meta.getTokens() - position, maxTokens);
    if (position + n < meta.getTokens()) {
      pending.put(conversation, urgent != null && urgent); // more after this: to the back
    }
    inFlight.put(conversation, entry);
    return new Work(
        conversation, entry.state, stores.log.read(conversation, position, position + n));
  }

  @Override
  public void computed(final Work work) {
    final String conversation = work.conversation();
    final HotStateCache.Entry entry = inFlight.remove(conversation);
    pendingTokens = Math.max(0, pendingTokens - work.tokens().length);
    hot.keep(conversation, entry);
    hot.remeasure(conversation);
    final ConversationMeta meta = stores.meta(conversation);
    if (meta != null) {
      afterCompute(conversation, entry, meta);
    }
  }

  @Override
  public void failed(final Work work, final RuntimeException cause) {
    final String conversation = work.conversation();
    inFlight.remove(conversation);
    hot.remove(conversation); // it may be half advanced: restore it from the stores next time
    forget(conversation);
    LOG.error(
        "conversation {}: its pending tokens could not be computed, skipping it until its next"
            + " event: {}",
        conversation,
        cause.getMessage());
  }

  // ---- GenerationHost: running generations --------------------------------------------------

  @Override
  public void attach(final String conversation, final long keepLogFrom) {
    attached.put(conversation, new Attachment(keepLogFrom));
    pending.put(conversation, Boolean.TRUE);
  }

  @Override
  public ModelState decodeState(final String conversation, final int lag) {
    final ConversationMeta meta = stores.meta(conversation);
    if (meta == null) {
      throw new StoreCorruptedException("conversation " + conversation + " has no metadata");
    }
    final Attachment a = attached.get(conversation);
    final HotStateCache.Entry entry = load(conversation, meta);
    if (entry.position() == meta.getTokens() - lag) {
      a.ownsState = true;
      hot.pin(conversation, true);
      return entry.state;
    }
    a.ownsState = false;
    pending.put(conversation, Boolean.TRUE);
    return null;
  }

  @Override
  public ConversationMeta appendGenerated(final String conversation, final int[] tokens) {
    final ConversationMeta meta = stores.meta(conversation);
    stores.log.append(conversation, meta.getTokens(), tokens);
    final long total = meta.getTokens() + tokens.length;
    final ConversationMeta updated =
        meta.toBuilder()
            .setTokens(total)
            .setCacheBytes(total * info.cacheBytesPerToken())
            .setUpdatedAtMs(out.nowMs())
            .build();
    stores.putMeta(conversation, updated);
    final HotStateCache.Entry entry = hot.get(conversation);
    if (entry != null && snapshotDue(entry.position(), updated, false)) {
      return snapshot(conversation, entry.state, updated);
    }
    return updated;
  }

  @Override
  public ConversationMeta finishReply(final String conversation, final String replyText) {
    final ConversationMeta meta = stores.meta(conversation);
    final ConversationMeta updated =
        MessageHistory.recordReply(meta.toBuilder(), replyText)
            .setGenerationsFinished(meta.getGenerationsFinished() + 1)
            .setUpdatedAtMs(out.nowMs())
            .build();
    stores.putMeta(conversation, updated);
    detach(conversation);
    turnEnded.add(conversation);
    pending.putIfAbsent(conversation, Boolean.FALSE);
    return updated;
  }

  @Override
  public void detach(final String conversation) {
    attached.remove(conversation);
    hot.pin(conversation, false);
  }

  @Override
  public int[] readLog(final String conversation, final long from, final long to) {
    return stores.log.read(conversation, from, to);
  }

  // ---- HotStateCache.Evictions --------------------------------------------------------------

  /**
   * A hot copy is evicted: if it holds computed tokens the stores have no snapshot of, snapshot it
   * now, so that the work is not lost (and a small cache cannot livelock on recomputation).
   */
  @Override
  public void evicted(final String conversation, final HotStateCache.Entry entry) {
    final ConversationMeta meta = stores.meta(conversation);
    if (meta != null
        && meta.getIncarnation() == entry.incarnation
        && entry.position() > meta.getSnapshotPosition()
        && entry.position() <= meta.getTokens()) {
      snapshot(conversation, entry.state, meta);
    }
  }

  // ---- the state: load, snapshot ------------------------------------------------------------

  /**
   * The conversation's state, at some position between its snapshot and the end of its log: the hot
   * copy if it agrees with the stored metadata (same incarnation, position within [snapshot,
   * tokens]), otherwise the snapshot restored from the stores (the tokens after it are then
   * pending).
   */
  private HotStateCache.Entry load(final String conversation, final ConversationMeta meta) {
    if (!meta.getModelId().equals(info.id())) {
      throw new ModelMismatchException(conversation, meta.getModelId(), info.id());
    }
    final HotStateCache.Entry entry = hot.get(conversation);
    if (entry != null
        && entry.incarnation == meta.getIncarnation()
        && entry.position() >= meta.getSnapshotPosition()
        && entry.position() <= meta.getTokens()) {
      metrics.hotHit();
      return entry;
    }
    metrics.hotMiss();
    return hot.put(conversation, restore(conversation, meta), meta.getIncarnation());
  }

  private ModelState restore(final String conversation, final ConversationMeta meta) {
    final long position = meta.getSnapshotPosition();
    if (position == 0) {
      return model.newState();
    }
    final ChunkedBlobs.Blob recurrent = stores.snapshots.get(conversation, 0);
    if (recurrent == null || recurrent.version() != position) {
      throw new StoreCorruptedException(
          "conversation "
              + conversation
              + ": the snapshot at position "
              + position
              + " is "
              + (recurrent == null ? "missing" : "at position " + recurrent.version()));
    }
    final List<byte[]> blocks = new ArrayList<>();
    final int blockSize = meta.getCacheBlockSize();
    if (blockSize > 0) {
      final long count = (position + blockSize - 1) / blockSize;
      for (long b = 0; b < count; b++) {
        final ChunkedBlobs.Blob block = stores.cache.get(conversation, b);
        if (block == null) {
          throw new StoreCorruptedException(
              "conversation " + conversation + ": cache block " + b + " is missing");
        }
        blocks.add(block.data());
      }
    }
    final ModelState state = model.restoreState(recurrent.data(), blocks);
    if (state.position() != position) {
      throw new StoreCorruptedException(
          "conversation "
              + conversation
              + ": the snapshot says position "
              + position
              + " but restores to "
              + state.position());
    }
    return state;
  }

  /** Whether a state at {@code position} is due for a snapshot under {@code meta}. */
  private boolean snapshotDue(
      final long position, final ConversationMeta meta, final boolean turnEnd) {
    final long since = position - meta.getSnapshotPosition();
    if (since <= 0) {
      return false;
    }
    return since >= snapshotInterval
        || (snapshotAtTurnEnd && turnEnd && position == meta.getTokens());
  }

  /**
   * Snapshots {@code state}: writes the recurrent state (in parts) and the cache blocks that
   * changed since the previous snapshot, moves the snapshot position and truncates the log below it
   * (but not below a running generation's first token); returns the new metadata (stored).
   */
  private ConversationMeta snapshot(
      final String conversation, final ModelState state, final ConversationMeta meta) {
    final long position = state.position();
    final byte[] recurrent = state.recurrentBytes();
    final int parts = stores.snapshots.put(conversation, 0, position, recurrent);
    long written = recurrent.length;
    final TokenCache cache = state.cache();
    if (cache.size() > 0) {
      final int blockSize = cache.blockSize();
      final long first = meta.getSnapshotPosition() / blockSize;
      for (long b = first; b < cache.blockCount(); b++) {
        final byte[] block = cache.block((int) b);
        final long entries = Math.min(blockSize, cache.size() - b * blockSize);
        stores.cache.put(conversation, b, entries, block);
        written += block.length;
      }
    }
    final Attachment a = attached.get(conversation);
    final long keepFrom = a == null ? Long.MAX_VALUE : a.keepLogFrom;
    final long logStart =
        stores.log.truncateBelow(conversation, meta.getLogStart(), Math.min(position, keepFrom));
    final ConversationMeta updated =
        meta.toBuilder()
            .setSnapshotPosition(position)
            .setSnapshotParts(parts)
            .setCacheBlockSize(cache.size() > 0 ? cache.blockSize() : meta.getCacheBlockSize())
            .setLogStart(logStart)
            .build();
    stores.putMeta(conversation, updated);
    metrics.snapshot(written);
    return updated;
  }

  private void afterCompute(
      final String conversation, final HotStateCache.Entry entry, final ConversationMeta meta) {
    final long position = entry.position();
    if (snapshotDue(position, meta, turnEnded.contains(conversation))) {
      snapshot(conversation, entry.state, meta);
    }
    if (position >= meta.getTokens()) {
      turnEnded.remove(conversation);
    }
  }

  // ---- metadata helpers ---------------------------------------------------------------------

  private void markPending(final String conversation, final long tokens) {
    pending.putIfAbsent(conversation, Boolean.FALSE);
    pendingTokens += tokens;
  }

  private void forget(final String conversation) {
    pending.remove(conversation);
    turnEnded.remove(conversation);
  }

  /** The conversation's metadata, or a fresh one if it does not exist. */
  private ConversationMeta existingOrNew(final Inbound in) {
    final ConversationMeta meta = stores.meta(in.conversationId());
    if (meta != null) {
      return meta;
    }
    return ConversationMeta.newBuilder()
        .setSchemaVersion(1)
        .setModelId(info.id())
        .setIncarnation(Incarnations.of(in.origin()))
        .setRecurrentStateBytes(info.recurrentStateBytes())
        .setCreatedAtMs(out.nowMs())
        .build();
  }

  /** Null if {@code meta} belongs to the served model, else the rejection. */
  private Outcome checkModel(final String conversation, final ConversationMeta meta) {
    if (meta.getModelId().equals(info.id())) {
      return null;
    }
    return new Outcome.Rejected(
        ErrorCode.INTERNAL,
        new ModelMismatchException(conversation, meta.getModelId(), info.id()).getMessage());
  }

  private ConversationMeta.Builder advanced(
      final ConversationMeta meta, final EventOrigin origin, final int tokens) {
    final long total = meta.getTokens() + tokens;
    return touched(meta, origin).setTokens(total).setCacheBytes(total * info.cacheBytesPerToken());
  }

  /** {@code meta} with {@code origin}'s event counted as applied. */
  private ConversationMeta.Builder touched(final ConversationMeta meta, final EventOrigin origin) {
    return meta.toBuilder()
        .setLastTopic(origin.getTopic())
        .setLastPartition(origin.getPartition())
        .setLastOffset(origin.getOffset())
        .setEventsApplied(meta.getEventsApplied() + 1)
        .setUpdatedAtMs(out.nowMs());
  }
}
