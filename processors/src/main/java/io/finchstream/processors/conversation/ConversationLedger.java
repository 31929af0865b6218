package io.finchstream.processors.conversation;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelInfo;
import io.finchstream.engine.ModelState;
import io.finchstream.processors.FinchstreamMetrics;
import io.finchstream.processors.event.Command;
import io.finchstream.processors.event.Inbound;
import io.finchstream.processors.store.StoreCorruptedException;
import io.finchstream.processors.store.StoreKey;
import io.finchstream.proto.ConversationKeys;
import io.finchstream.proto.MessageHistory;
import io.finchstream.proto.v1.Checkpoint;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.EventOrigin;
import io.finchstream.proto.v1.ForkHeader;
import io.finchstream.proto.v1.ForkTransfer;
import io.finchstream.proto.v1.GenerationProgress;
import io.finchstream.proto.v1.Refusal;
import io.finchstream.proto.v1.Role;
import io.finchstream.proto.v1.SnapshotRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owner of the state of a task's conversations: the only writer of their metadata, token log,
 * snapshots, checkpoints, message texts and cache blocks, and the keeper of their hot (computed)
 * copies. Events arrive through {@link Conversations}, batched ingest through {@link PendingWork},
 * running generations through {@link GenerationHost}; evictions of hot copies through {@link
 * HotStateCache.Evictions}.
 *
 * <p>Durable tokens first, compute later: an event writes its tokens, its checkpoint and the
 * metadata in its transaction; the states catch up when batched ingest asks for {@link #work},
 * which stops at the checkpoints that want a snapshot. Snapshots are taken in one place ({@link
 * #snapshot}): at the recent turn checkpoints, every {@code snapshot.interval.tokens} computed
 * tokens, and when a hot copy with unsnapshotted progress is evicted; the {@link RetentionPolicy}
 * then says which older ones go, and the log, checkpoints and texts below the oldest kept snapshot
 * go with them. One instance per processor instance (per task); not thread-safe (the stream thread
 * only; the decode thread gets the pinned states of generations through their {@link Decoder}s).
 */
final class ConversationLedger
    implements Conversations, PendingWork, GenerationHost, HotStateCache.Evictions {

  private static final Logger LOG = LoggerFactory.getLogger(ConversationLedger.class);

  /** The layout every conversation is upgraded to on first use. */
  static final int LAYOUT = 1;

  private final LanguageModel model;
  private final ModelInfo info;
  private final ConversationStores stores;
  private final SnapshotStore snapshots;
  private final Checkpoints checkpoints;
  private final Branches branches;
  private final HotStateCache hot;
  private final MemoryBudget budget;
  private final Outputs out;
  private final FinchstreamMetrics metrics;
  private final long snapshotInterval;
  private final boolean turnSnapshots;
  private final RetentionPolicy retention;

  /** Conversations with tokens to compute → whether a generation waits for them. */
  private final LinkedHashMap<String, Boolean> pending = new LinkedHashMap<>();

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
    this.snapshots =
        new SnapshotStore(stores.snapshots, stores.cache, settings.snapshotPrecision());
    this.checkpoints =
        new Checkpoints(stores.checkpoints, stores.texts, stores.digests, settings.partBytes());
    this.branches = new Branches(stores, snapshots, checkpoints, info.cacheBytesPerToken());
    this.budget = budget;
    this.out = out;
    this.metrics = out.metrics();
    this.snapshotInterval = settings.snapshotInterval();
    this.turnSnapshots = settings.snapshotAtTurnEnd() && settings.retention().recentTurns() > 0;
    this.retention = settings.retention();
    this.hot = new HotStateCache(budget, metrics, this);
  }

  /** Drops every hot copy and returns its memory to the budget (processor close). */
  void close() {
    hot.clear();
    attached.values().forEach(a -> a.dropCopy(budget));
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
    final long start = meta.getTokens();
    stores.log.append(conversation, start, tokens);
    final ConversationMeta.Builder updated = advanced(meta, in.origin(), tokens.length);
    if (a.text() != null) {
      MessageHistory.recordText(updated, a.role(), a.text());
    } else {
      MessageHistory.recordTokens(updated, IntStream.of(tokens).boxed().toList());
    }
    checkpoints.add(
        conversation,
        meta.getMessages(),
        Checkpoint.newBuilder()
            .setRole(a.text() == null ? Role.ROLE_UNSPECIFIED : a.role())
            .setStart(start)
            .setEnd(start + tokens.length)
            .setDigest(updated.getMessageDigest())
            .setTokens(a.text() == null)
            .build(),
        a.text());
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
    if (g.request().hasExpectMessageDigest()
        && !g.request().getExpectMessageDigest().equals(meta.getMessageDigest())) {
      return new Outcome.Rejected(
          ErrorCode.HISTORY_CHANGED,
          "generate: the conversation's history changed since the request was planned (it holds "
              + meta.getMessages()
              + " messages with another digest); nothing was generated");
    }
    final int[] prefix = g.prefixTokens();
    final long base = meta.getTokens();
    final long start = base + prefix.length;
    if (start == 0) {
      return new Outcome.Rejected(
          ErrorCode.INVALID_PARAMETERS,
          "generate: the conversation is empty; append text first (or give prefix_text)");
    }
    final boolean ephemeral = g.request().getEphemeral();
    if (ephemeral && base == 0) {
      return new Outcome.Rejected(
          ErrorCode.INVALID_PARAMETERS,
          "generate: an ephemeral generation needs a conversation to copy; append text first");
    }
    stores.log.append(conversation, base, prefix);
    stores.putMeta(
        conversation,
        (ephemeral ? touched(meta, in.origin()) : advanced(meta, in.origin(), prefix.length))
            .setLastRequestId(requestId)
            .build());
    final GenerationProgress progress =
        GenerationProgress.newBuilder()
            .setRequest(g.request())
            .setEventId(in.eventId())
            .setStartPosition(start)
            .setPromptTokens(prefix.length)
            .setSeed(g.params().seed())
            .setMaxTokens(g.params().maxTokens())
            .setAcceptedAtMs(out.nowMs())
            .setEphemeral(ephemeral)
            .setBasePosition(base)
            .build();
    attach(conversation, progress);
    pendingTokens += prefix.length;
    metrics.tokensIngested(prefix.length);
    metrics.event(ephemeral ? "generate_ephemeral" : "generate");
    return new Outcome.Started(progress);
  }

  @Override
  public Outcome rewind(final Inbound in, final Command.Rewind r) {
    final String conversation = in.conversationId();
    final ConversationMeta meta = current(conversation);
    metrics.event("rewind");
    if (meta == null) {
      return new Outcome.Rejected(
          ErrorCode.UNKNOWN_CONVERSATION,
          "rewind: conversation " + conversation + " does not exist");
    }
    final Outcome refused = checkModel(conversation, meta);
    if (refused != null) {
      return refused;
    }
    final Branches.Turn turn = branches.turn(conversation, meta, r.toMessage(), "rewind");
    if (turn.refused() != null) {
      return turn.refused();
    }
    final long p = turn.position();
    if (turn.messages() == meta.getMessages() && p == meta.getTokens()) {
      stores.putMeta(conversation, touched(meta, in.origin()).build());
      return Outcome.APPLIED;
    }
    final long incarnation = Incarnations.of(in.origin());
    final ConversationMeta updated =
        branches
            .cut(conversation, touched(meta, in.origin()).build(), turn)
            .setIncarnation(incarnation)
            .build();
    stores.putMeta(conversation, updated);
    final HotStateCache.Entry entry = hot.get(conversation);
    long computed = updated.getSnapshotPosition();
    if (entry != null
        && entry.incarnation == meta.getIncarnation()
        && entry.position() <= p
        && entry.position() >= computed) {
      hot.reincarnate(conversation, incarnation);
      computed = entry.position();
    } else if (entry != null
        && entry.incarnation == meta.getIncarnation()
        && entry.position() > p
        && entry.state.cache().size() > 0
        && updated.getSnapshotsCount() > 0) {
      // Back from a hot state with a token cache (GoldFinch): the snapshot with that cache cut
      final SnapshotRef at = updated.getSnapshots(updated.getSnapshotsCount() - 1);
      final ModelState back = snapshots.restore(model, conversation, updated, at, entry.state);
      hot.put(conversation, back, incarnation);
      computed = back.position();
      metrics.event("rewind_cache_cut");
    } else {
      hot.remove(conversation);
    }
    pending.remove(conversation);
    if (computed < p) {
      markPending(conversation, p - computed);
    }
    return Outcome.APPLIED;
  }

  @Override
  public Outcome fork(final Inbound in, final Command.Fork f) {
    final String source = in.conversationId();
    final ConversationMeta meta = current(source);
    if (meta == null) {
      return new Outcome.Rejected(
          ErrorCode.UNKNOWN_CONVERSATION,
          "fork: the source conversation " + source + " does not exist");
    }
    final Outcome refused = checkModel(source, meta);
    if (refused != null) {
      return refused;
    }
    final long at = f.atMessage() == null ? meta.getMessages() : f.atMessage();
    final Branches.Turn turn = branches.turn(source, meta, at, "fork");
    if (turn.refused() != null) {
      return turn.refused();
    }
    final Branches.Branch branch = branches.branch(source, meta, turn);
    if (ConversationKeys.sameTree(source, f.target())) {
      if (stores.meta(f.target()) != null) {
        return new Outcome.Rejected(
            ErrorCode.CONVERSATION_EXISTS,
            "fork: the new conversation " + f.target() + " already exists");
      }
      copyLocally(source, meta, branch, f.target(), in.origin());
      metrics.event("fork_local");
    } else {
      for (final ForkTransfer part : ForkTransfers.export(this, source, branch, in)) {
        out.fork(f.target(), part);
      }
      metrics.event("fork");
    }
    stores.putMeta(source, touched(meta, in.origin()).build());
    return Outcome.APPLIED;
  }

  /**
   * Installs a complete fork transfer under {@code target}, unless it exists (CONVERSATION_EXISTS).
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
    final long logStart = ForkTransfers.install(this, target, source, parts);
    final ConversationMeta meta =
        Branches.forked(source, header.getSourceConversationId(), origin, out.nowMs())
            .setLogStart(logStart)
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
    deleteRecords(conversation);
    stores.putMeta(
        conversation,
        advanced(meta, in.origin(), 0)
            .setModelId(info.id())
            .setTokens(0)
            .setSnapshotPosition(0)
            .setSnapshotParts(0)
            .clearSnapshots()
            .setLogStart(0)
            .setCacheBytes(0)
            .setCacheFullBlocks(0)
            .setFirstMessage(0)
            .setLayout(LAYOUT)
            .setIncarnation(Incarnations.of(in.origin()))
            .setMessages(0)
            .clearMessageDigest()
            .build());
    hot.remove(conversation);
    pending.remove(conversation);
    return Outcome.APPLIED;
  }

  @Override
  public Outcome delete(final Inbound in) {
    final String conversation = in.conversationId();
    deleteRecords(conversation);
    stores.meta.delete(StoreKey.id(conversation));
    hot.remove(conversation);
    pending.remove(conversation);
    metrics.event("delete");
    return Outcome.APPLIED;
  }

  /**
   * Keeps {@code refusal} among {@code conversation}'s {@link Refusals}, if it exists, and counts
   * the refused event as applied to it if it was its own.
   */
  void refused(final String conversation, final Refusal refusal, final boolean own) {
    final ConversationMeta meta = stores.meta(conversation);
    if (meta != null) {
      final ConversationMeta.Builder b =
          own ? touched(meta, refusal.getOrigin()) : meta.toBuilder();
      stores.putMeta(conversation, Refusals.add(b, refusal).build());
    }
  }

  /**
   * Records the event at {@code origin} as applied to {@code conversation}, if it exists, without
   * changing its history (a cancel), so a reader waiting for it does not wait in vain.
   */
  void touch(final String conversation, final EventOrigin origin) {
    final ConversationMeta meta = stores.meta(conversation);
    if (meta != null) {
      stores.putMeta(conversation, touched(meta, origin).build());
    }
  }

  /**
   * A Delete of {@code conversation} waits behind a running generation or other events: note it, so
   * the Generates that wait before it are answered CANCELLED instead of running. False if the
   * conversation does not exist.
   */
  boolean requestDelete(final String conversation) {
    final ConversationMeta meta = stores.meta(conversation);
    if (meta == null) {
      return false;
    }
    if (!meta.getDeleteRequested()) {
      stores.putMeta(conversation, meta.toBuilder().setDeleteRequested(true).build());
    }
    return true;
  }

  /** Whether a Delete of {@code conversation} waits ({@link #requestDelete}). */
  boolean deleteRequested(final String conversation) {
    final ConversationMeta meta = stores.meta(conversation);
    return meta != null && meta.getDeleteRequested();
  }

  /** Deletes an idle conversation (every record: the changelogs get tombstones). */
  void expire(final String conversation, final String why) {
    deleteRecords(conversation);
    stores.meta.delete(StoreKey.id(conversation));
    hot.remove(conversation);
    pending.remove(conversation);
    metrics.event(why);
  }

  private void deleteRecords(final String conversation) {
    stores.log.deleteAll(conversation);
    snapshots.deleteAll(conversation);
    checkpoints.deleteAll(conversation);
  }

  /** The fork of a conversation into a branch of its own tree: a copy on this task. */
  private void copyLocally(
      final String source,
      final ConversationMeta meta,
      final Branches.Branch branch,
      final String target,
      final EventOrigin origin) {
    branches.copy(source, branch, target);
    final ConversationMeta installed =
        Branches.forked(branch.meta(), source, origin, out.nowMs()).build();
    stores.putMeta(target, installed);
    final long s = branch.meta().getSnapshotPosition();
    final HotStateCache.Entry entry = hot.get(source);
    if (entry != null
        && entry.incarnation == meta.getIncarnation()
        && entry.position() == branch.position()
        && !inFlight.containsKey(source)) {
      hot.put(target, entry.state.copy(), installed.getIncarnation());
    } else if (branch.position() > s) {
      markPending(target, branch.position() - s);
    }
  }

  // ---- reading and writing records, for fork transfers -------------------------------------

  SnapshotStore snapshotStore() {
    return snapshots;
  }

  Checkpoints checkpointStore() {
    return checkpoints;
  }

  ConversationStores stores() {
    return stores;
  }

  // ---- PendingWork: batched ingest ----------------------------------------------------------

  @Override
  public boolean computing(final String conversation) {
    return pending.containsKey(conversation) || inFlight.containsKey(conversation);
  }

  @Override
  public List<String> pending() {
    if (pending.isEmpty()) {
      pendingTokens = 0;
      return List.of();
    }
    final List<String> all = new ArrayList<>(urgent());
    all.addAll(pending.keySet().stream().filter(c -> !pending.get(c)).toList());
    return all;
  }

  @Override
  public List<String> urgent() {
    return pending.keySet().stream().filter(pending::get).toList();
  }

  @Override
  public long pendingTokens() {
    return pendingTokens;
  }

  @Override
  public Work work(final String conversation, final int maxTokens) {
    final Boolean urgent = pending.remove(conversation);
    final Attachment a = attached.get(conversation);
    if (a != null && a.ownsState) {
      return null;
    }
    try {
      final ConversationMeta meta = current(conversation);
      if (meta == null) {
        return null;
      }
      final HotStateCache.Entry entry = load(conversation, meta);
      if (a != null && a.ephemeral && entry.position() >= a.base) {
        return copyWork(conversation, a, entry, maxTokens, urgent);
      }
      final long position = entry.position();
      if (position >= meta.getTokens()) {
        afterCompute(conversation, entry, meta);
        return null;
      }
      final long stop = Math.min(meta.getTokens(), nextStop(conversation, meta, position));
      final int n = (int) Math.min(stop - position, maxTokens);
      if (position + n < meta.getTokens() || a != null) {
        pending.put(conversation, urgent != null && urgent); // more after this: to the back
      }
      inFlight.put(conversation, entry);
      return new Work(
          conversation, entry.state, stores.log.read(conversation, position, position + n));
    } catch (final RuntimeException e) {
      LOG.error(
          "conversation {}: cannot load its state, skipping it until its next event: {}",
          conversation,
          e.getMessage());
      return null;
    }
  }

  /** The prefill of an ephemeral generation's copy (made here once the base is computed). */
  private Work copyWork(
      final String conversation,
      final Attachment a,
      final HotStateCache.Entry entry,
      final int maxTokens,
      final Boolean urgent) {
    if (a.copy == null) {
      if (entry.position() != a.base) {
        throw new StoreCorruptedException(
            "conversation " + conversation + " moved past the base of its ephemeral generation");
      }
      a.takeCopy(entry.state, budget);
    }
    final long position = a.copy.position();
    if (position >= a.scratchEnd) {
      return null;
    }
    final int n = (int) Math.min(a.scratchEnd - position, maxTokens);
    pending.put(conversation, urgent != null && urgent);
    return new Work(conversation, a.copy, stores.log.read(conversation, position, position + n));
  }

  @Override
  public void computed(final Work work) {
    final String conversation = work.conversation();
    pendingTokens = Math.max(0, pendingTokens - work.tokens().length);
    final HotStateCache.Entry entry = inFlight.remove(conversation);
    if (entry == null) {
      return; // an ephemeral copy advanced
    }
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
    final Attachment a = attached.get(conversation);
    if (a != null) {
      a.dropCopy(budget);
    }
    pending.remove(conversation);
    LOG.error(
        "conversation {}: its pending tokens could not be computed, skipping it until its next"
            + " event: {}",
        conversation,
        cause.getMessage());
  }

  /**
   * Where computing from {@code position} must stop next: a recent checkpoint past it, or the end.
   */
  private long nextStop(
      final String conversation, final ConversationMeta meta, final long position) {
    return turnSnapshots
        ? checkpoints.nextEndAfter(conversation, meta, retention.recentTurns(), position)
        : Long.MAX_VALUE;
  }

  /** After a state of {@code conversation} advanced: the snapshot that is due, if any. */
  private void afterCompute(
      final String conversation, final HotStateCache.Entry entry, final ConversationMeta meta) {
    final long position = entry.position();
    if (position <= meta.getSnapshotPosition()) {
      return;
    }
    final long turn = turnSnapshots ? recentTurnAt(conversation, meta, position) : -1;
    if (turn >= 0) {
      snapshot(conversation, entry.state, meta, true, turn);
    } else if (position - meta.getSnapshotPosition() >= snapshotInterval) {
      snapshot(conversation, entry.state, meta, false, 0);
    }
  }

  /** Messages complete at {@code position} if it ends one of the recent checkpoints, else -1. */
  private long recentTurnAt(
      final String conversation, final ConversationMeta meta, final long position) {
    return checkpoints.turnEndingAt(conversation, meta, retention.recentTurns(), position);
  }

  // ---- GenerationHost: running generations --------------------------------------------------

  @Override
  public void attach(final String conversation, final GenerationProgress progress) {
    attached.put(conversation, new Attachment(progress));
    pending.put(conversation, Boolean.TRUE);
  }

  @Override
  public ModelState decodeState(final String conversation, final int lag) {
    final Attachment a = attached.get(conversation);
    if (a.ephemeral) {
      if (a.copy != null && a.copy.position() == a.scratchEnd - lag) {
        a.ownsState = true;
        return a.copy;
      }
      a.ownsState = false;
      pending.put(conversation, Boolean.TRUE);
      return null;
    }
    final ConversationMeta meta = current(conversation);
    if (meta == null) {
      throw new StoreCorruptedException("conversation " + conversation + " has no metadata");
    }
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
    final Attachment a = attached.get(conversation);
    final ConversationMeta meta = stores.meta(conversation);
    if (a.ephemeral) {
      stores.log.append(conversation, a.scratchEnd, tokens);
      a.scratchEnd += tokens.length;
      return meta;
    }
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
    if (entry != null && entry.position() - updated.getSnapshotPosition() >= snapshotInterval) {
      return snapshot(conversation, entry.state, updated, false, 0);
    }
    return updated;
  }

  @Override
  public ConversationMeta finishReply(
      final String conversation, final long start, final String replyText) {
    final Attachment a = attached.get(conversation);
    final ConversationMeta meta = stores.meta(conversation);
    if (a.ephemeral) {
      stores.log.truncateFrom(conversation, a.base);
      release(conversation);
      return meta;
    }
    final ConversationMeta.Builder updated =
        MessageHistory.recordReply(meta.toBuilder(), replyText)
            .setGenerationsFinished(meta.getGenerationsFinished() + 1)
            .setUpdatedAtMs(out.nowMs());
    checkpoints.add(
        conversation,
        meta.getMessages(),
        Checkpoint.newBuilder()
            .setRole(Role.ROLE_ASSISTANT)
            .setStart(start)
            .setEnd(meta.getTokens())
            .setDigest(updated.getMessageDigest())
            .build(),
        replyText);
    final ConversationMeta stored = updated.build();
    stores.putMeta(conversation, stored);
    release(conversation);
    pending.putIfAbsent(conversation, Boolean.FALSE);
    return stored;
  }

  @Override
  public void detach(final String conversation) {
    release(conversation);
    // The failed call may have changed the state part of the way: rebuild it from the stored form.
    hot.remove(conversation);
  }

  /** The generation ended: its copy (if any) is dropped and the hot state may be evicted again. */
  private void release(final String conversation) {
    final Attachment a = attached.remove(conversation);
    if (a != null) {
      a.dropCopy(budget);
    }
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
        && meta.getLayout() == LAYOUT
        && meta.getIncarnation() == entry.incarnation
        && entry.position() > meta.getSnapshotPosition()
        && entry.position() <= meta.getTokens()) {
      final long turn = turnSnapshots ? recentTurnAt(conversation, meta, entry.position()) : -1;
      snapshot(conversation, entry.state, meta, turn >= 0, Math.max(0, turn));
    }
  }

  // ---- the state: load, snapshot ------------------------------------------------------------

  /**
   * The conversation's state, at some position between its newest snapshot and the end of its log:
   * the hot copy if it agrees with the stored metadata (same incarnation, position within
   * [snapshot, tokens]), otherwise the newest snapshot restored from the stores (the tokens after
   * it are then pending).
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
    final ModelState state =
        meta.getSnapshotsCount() == 0
            ? model.newState()
            : snapshots.restore(
                model, conversation, meta, meta.getSnapshots(meta.getSnapshotsCount() - 1));
    return hot.put(conversation, state, meta.getIncarnation());
  }

  /**
   * Snapshots {@code state} (at a position past every snapshot) and applies the retention policy:
   * older snapshots it drops are deleted, and the token log, checkpoints and texts below the oldest
   * kept one (but not below a running generation's first token); returns the new metadata (stored).
   */
  private ConversationMeta snapshot(
      final String conversation,
      final ModelState state,
      final ConversationMeta meta,
      final boolean turn,
      final long messagesAt) {
    final SnapshotStore.Written w =
        snapshots.put(conversation, state, meta.getCacheFullBlocks(), turn, messagesAt);
    final List<SnapshotRef> all = new ArrayList<>(meta.getSnapshotsList());
    all.add(w.ref());
    final List<SnapshotRef> kept = retention.retain(all, meta.getTokens(), meta.getMessages());
    for (final SnapshotRef s : all) {
      if (!kept.contains(s)) {
        snapshots.delete(conversation, s.getPosition());
      }
    }
    final long horizon = kept.get(0).getPosition();
    final Attachment a = attached.get(conversation);
    final long keepFrom = a == null ? Long.MAX_VALUE : a.keepLogFrom;
    final long logStart =
        stores.log.truncateBelow(conversation, meta.getLogStart(), Math.min(horizon, keepFrom));
    final long first =
        checkpoints.deleteEndingBefore(conversation, meta.getFirstMessage(), horizon);
    final ConversationMeta updated =
        meta.toBuilder()
            .clearSnapshots()
            .addAllSnapshots(kept)
            .setSnapshotPosition(w.ref().getPosition())
            .setSnapshotParts(w.ref().getParts())
            .setCacheFullBlocks(w.fullBlocks())
            .setCacheBlockSize(
                state.cache().size() > 0 ? state.cache().blockSize() : meta.getCacheBlockSize())
            .setLogStart(logStart)
            .setFirstMessage(first)
            .build();
    stores.putMeta(conversation, updated);
    metrics.snapshot(w.bytes());
    return updated;
  }

  // ---- metadata helpers ---------------------------------------------------------------------

  private void markPending(final String conversation, final long tokens) {
    pending.putIfAbsent(conversation, Boolean.FALSE);
    pendingTokens += tokens;
  }

  /** The conversation's metadata in the current layout (upgraded now if need be), or null. */
  private ConversationMeta current(final String conversation) {
    final ConversationMeta meta = stores.meta(conversation);
    if (meta == null || meta.getLayout() == LAYOUT) {
      return meta;
    }
    final ConversationMeta.Builder b =
        meta.toBuilder().setLayout(LAYOUT).setFirstMessage(meta.getMessages()).clearSnapshots();
    if (meta.getSnapshotPosition() > 0) {
      final SnapshotStore.Written w = snapshots.upgrade(conversation, meta);
      b.addSnapshots(w.ref())
          .setSnapshotParts(w.ref().getParts())
          .setCacheFullBlocks(w.fullBlocks());
    }
    final ConversationMeta upgraded = b.build();
    stores.putMeta(conversation, upgraded);
    LOG.info("conversation {}: storage upgraded to layout {}", conversation, LAYOUT);
    return upgraded;
  }

  /** The conversation's metadata, or a fresh one if it does not exist. */
  private ConversationMeta existingOrNew(final Inbound in) {
    final ConversationMeta meta = current(in.conversationId());
    if (meta != null) {
      return meta;
    }
    return ConversationMeta.newBuilder()
        .setSchemaVersion(1)
        .setLayout(LAYOUT)
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
