package io.finchstream.engine.goldfinch;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.ModelInfo;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.kernels.AttentionKernels;
import io.finchstream.engine.kernels.Kernels;
import io.finchstream.engine.rwkv.ScratchPool;
import io.finchstream.engine.state.CallChecks;
import io.finchstream.engine.tensor.Fingerprint;
import java.nio.file.Path;
import java.util.List;

/**
 * GoldFinch inference (goldfinch-math §1–§5). Immutable and thread-safe: all conversation state
 * lives in {@link GoldFinchState}.
 *
 * <ul>
 *   <li>{@link #ingest} is streaming prefill, path (b) of §5.3: each token runs only the Finch-C2
 *       blocks, the compression and the cache append ({@link FinchC2Pass}), so its cost does not
 *       depend on the conversation's length. The GOLD part of the state goes stale.
 *   <li>{@link #logits} brings a stale GOLD part up to date by running the GOLD stack ({@link
 *       GoldPass}) over the last 2G tokens, the first query shift seeded from the boundary vector
 *       before them (§5.2), or over fewer tokens when the GOLD part was current shortly before;
 *       then applies the head.
 *   <li>{@link #step} ingests one token and computes logits, so a conversation whose GOLD part is
 *       current runs each generated token through all layers once (path (a) per token).
 * </ul>
 *
 * <p>Every GOLD row computes exactly what running every token through all layers computes, so
 * results are bit-identical to path (a) whatever the chunking and split points, and (as for Finch)
 * whatever the batch composition and thread count.
 */
public final class GoldFinchModel implements LanguageModel {

  /** Cache entries per canonical block. */
  public static final int DEFAULT_CACHE_BLOCK = 256;

  private final GoldFinchWeights weights;
  private final Kernels kernels;
  private final AttentionKernels attention;
  private final CacheWriter cacheWriter;
  private final ModelInfo info;
  private final int cacheBlock;
  private final StatePrecision cachePrecision;
  private final ScratchPool<GoldFinchScratch> scratchPool;

  /**
   * A model over loaded weights.
   *
   * @param id the weights' fingerprint (64 hex digits), see {@link Fingerprint}
   * @param format checkpoint format shown by {@code inspect}
   * @param cacheBlock cache entries per canonical block
   * @param cachePrecision precision of the derived keys and values in memory
   */
  public GoldFinchModel(
      final GoldFinchWeights weights,
      final Kernels kernels,
      final AttentionKernels attention,
      final String id,
      final String format,
      final int maxRowsPerPass,
      final int cacheBlock,
      final StatePrecision cachePrecision) {
    if (cacheBlock < 1) {
      throw new IllegalArgumentException("cache block must be >= 1, got " + cacheBlock);
    }
    this.weights = weights;
    this.kernels = kernels;
    this.attention = attention;
    this.cacheWriter = new CacheWriter(weights, kernels, attention);
    this.cacheBlock = cacheBlock;
    this.cachePrecision = cachePrecision;
    this.scratchPool =
        new ScratchPool<>(() -> new GoldFinchScratch(weights.config(), maxRowsPerPass));
    this.info =
        GoldFinchInfo.of(weights, id, format, kernels, attention, cacheBlock, cachePrecision);
  }

  /**
   * Loads a GoldFinch model (strict: every tensor of {@link GoldFinchLayout}, nothing else). RoPE
   * is enabled for a file named like {@code goldfinch_rope10k.pth} ({@link
   * GoldFinchConfig#ropeThetaFromFileName}).
   */
  public static GoldFinchModel load(final Checkpoint checkpoint, final LoadOptions options) {
    final Path name = checkpoint.path().getFileName();
    final double theta = name == null ? 0 : GoldFinchConfig.ropeThetaFromFileName(name.toString());
    return load(checkpoint, options, theta, DEFAULT_CACHE_BLOCK);
  }

  /** Loads a GoldFinch model with an explicit RoPE base (0 = none) and cache block size. */
  public static GoldFinchModel load(
      final Checkpoint checkpoint,
      final LoadOptions options,
      final double ropeTheta,
      final int cacheBlock) {
    final GoldFinchConfig config = GoldFinchConfig.infer(checkpoint, ropeTheta);
    final Kernels kernels = Kernels.create(options.kernels(), options.threads());
    final AttentionKernels attention =
        AttentionKernels.create(options.kernels(), options.threads());
    final GoldFinchWeights weights =
        new GoldFinchWeightsLoader(checkpoint, config, options.precision(), options.progress())
            .load();
    final String id =
        Fingerprint.of(checkpoint, ropeTheta == 0 ? "goldfinch" : "goldfinch-rope" + ropeTheta);
    return new GoldFinchModel(
        weights,
        kernels,
        attention,
        id,
        checkpoint.format(),
        options.maxRowsPerPass(),
        cacheBlock,
        options.cachePrecision());
  }

  /** The weights (read-only). */
  public GoldFinchWeights weights() {
    return weights;
  }

  /** The sizes and layer split. */
  public GoldFinchConfig config() {
    return weights.config();
  }

  @Override
  public ModelInfo info() {
    return info;
  }

  @Override
  public GoldFinchState newState() {
    final GoldFinchConfig c = weights.config();
    return new GoldFinchState(
        c,
        info.id(),
        new GoldCache(
            c.compressed(), c.dim(), c.headSize(), c.goldLayers(), cacheBlock, cachePrecision));
  }

  /**
   * Rebuilds a state: the recurrent part from its bytes, the cache from its canonical blocks. The
   * derived part (every GOLD layer's keys and values) is rebuilt when attention first needs it, so
   * restoring costs O(blocks) and ingesting continues at once.
   */
  @Override
  public GoldFinchState restoreState(final byte[] recurrent, final List<byte[]> cacheBlocks) {
    final GoldFinchState state = newState();
    GoldFinchStateCodec.decodeInto(recurrent, state);
    final GoldCache.Canonical canonical =
        GoldCache.readBlocks(
            cacheBlocks == null ? List.of() : cacheBlocks, config().compressed(), cacheBlock);
    if (canonical.tokens().length != state.position) {
      throw new EngineException(
          "GoldFinch state is at position "
              + state.position
              + " but its cache holds "
              + canonical.tokens().length
              + " entries; the cache blocks do not belong to this state");
    }
    try {
      CallChecks.tokens(canonical.tokens(), 0, config().vocab());
    } catch (final EngineException e) {
      throw new EngineException(
          "GoldFinch cache blocks hold an invalid token: " + e.getMessage(), e);
    }
    state.cache.markDerivedMissing();
    state.cache.append(
        canonical.tokens(), 0, canonical.tokens().length, canonical.c(), null, null, null);
    return state;
  }

  /**
   * Rebuilds a state from its recurrent bytes with the first entries of {@code later}'s cache: a
   * rewind cuts the cache at the turn (goldfinch-math §3.1: entry s depends only on tokens ≤ s;
   * §4.1: its keys and values only on entries s − 1 and s; so the first entries of a later state of
   * the same history are this state's), keeping the derived keys and values it already has.
   */
  @Override
  public GoldFinchState restoreState(final byte[] recurrent, final ModelState later) {
    if (!(later instanceof GoldFinchState donor) || !donor.modelId.equals(info.id())) {
      throw new EngineException(
          "the state to take the cache from is not a state of this model ("
              + info.id()
              + "); create it with newState() or restoreState()");
    }
    final GoldFinchState recurrentPart = newState();
    GoldFinchStateCodec.decodeInto(recurrent, recurrentPart);
    if (recurrentPart.position > donor.cache.size()) {
      throw new EngineException(
          "GoldFinch state is at position "
              + recurrentPart.position
              + " but the state to take its cache from holds only "
              + donor.cache.size()
              + " entries");
    }
    return new GoldFinchState(recurrentPart, donor.cache.firstEntries(recurrentPart.position));
  }

  @Override
  public void ingest(final List<? extends ModelState> states, final List<int[]> tokens) {
    final GoldFinchState[] ours = checkStates(states);
    final int[][] input = CallChecks.tokenLists(tokens, ours.length, config().vocab());
    final GoldFinchScratch scratch = scratchPool.borrow();
    try {
      scheduler(scratch).ingest(ours, input);
    } finally {
      scratchPool.release(scratch);
    }
  }

  @Override
  public void logits(final List<? extends ModelState> states, final float[][] out) {
    final GoldFinchState[] ours = checkStates(states);
    CallChecks.outputs(out, ours.length, config().vocab(), "logits");
    final GoldFinchScratch scratch = scratchPool.borrow();
    try {
      scheduler(scratch).logits(ours, out);
    } finally {
      scratchPool.release(scratch);
    }
  }

  @Override
  public void step(
      final List<? extends ModelState> states, final int[] tokens, final float[][] out) {
    final int[][] single = CallChecks.stepTokens(tokens, states.size());
    CallChecks.outputs(out, states.size(), config().vocab(), "step"); // before any state changes
    ingest(states, List.of(single));
    logits(states, out);
  }

  private GoldFinchScheduler scheduler(final GoldFinchScratch scratch) {
    return new GoldFinchScheduler(weights, kernels, attention, cacheWriter, scratch);
  }

  private GoldFinchState[] checkStates(final List<? extends ModelState> states) {
    return CallChecks.states(
        states,
        GoldFinchState.class,
        f ->
            f.config.equals(config())
                && f.modelId.equals(info.id())
                && f.cache.blockSize() == cacheBlock,
        () ->
            "GoldFinch model ("
                + GoldFinchWeightsLoader.describe(config())
                + ", id "
                + info.id()
                + ")",
        GoldFinchState[]::new);
  }
}
