package io.finchstream.engine.goldfinch;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.ModelInfo;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.finch.FinchConfig;
import io.finchstream.engine.finch.Head;
import io.finchstream.engine.finch.RowBatcher;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.kernels.AttentionKernels;
import io.finchstream.engine.kernels.Kernels;
import io.finchstream.engine.state.CallChecks;
import io.finchstream.engine.tensor.Fingerprint;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

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
  private final int maxRows;
  private final int cacheBlock;
  private final ConcurrentLinkedQueue<GoldFinchScratch> scratchPool = new ConcurrentLinkedQueue<>();

  /**
   * A model over loaded weights.
   *
   * @param id the weights' fingerprint (64 hex digits), see {@link Fingerprint}
   * @param format checkpoint format shown by {@code inspect}
   * @param cacheBlock cache entries per canonical block
   */
  public GoldFinchModel(
      final GoldFinchWeights weights,
      final Kernels kernels,
      final AttentionKernels attention,
      final String id,
      final String format,
      final int maxRowsPerPass,
      final int cacheBlock) {
    if (cacheBlock < 1) {
      throw new IllegalArgumentException("cache block must be >= 1, got " + cacheBlock);
    }
    this.weights = weights;
    this.kernels = kernels;
    this.attention = attention;
    this.cacheWriter = new CacheWriter(weights, kernels, attention);
    this.maxRows = maxRowsPerPass;
    this.cacheBlock = cacheBlock;
    this.info = GoldFinchInfo.of(weights, id, format, kernels, attention, cacheBlock);
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
        weights, kernels, attention, id, checkpoint.format(), options.maxRowsPerPass(), cacheBlock);
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
        c, info.id(), new GoldCache(c.compressed(), c.dim(), c.goldLayers(), cacheBlock));
  }

  /**
   * Rebuilds a state: the recurrent part from its bytes, the cache from its canonical blocks, whose
   * derived part (kD and every GOLD layer's k, v) is materialized again exactly as on append.
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
    final GoldFinchScratch scratch = borrow();
    try {
      rebuildCache(state, canonical, scratch);
    } finally {
      scratchPool.add(scratch);
    }
    return state;
  }

  private void rebuildCache(
      final GoldFinchState state, final GoldCache.Canonical canonical, final GoldFinchScratch s) {
    final int r = config().compressed();
    final int[] tokens = canonical.tokens();
    final int[] rowTokens = new int[s.rows];
    RowBatcher.run(
        new int[] {tokens.length},
        s.rows,
        (item, from, start, count, segments, rows) -> {
          System.arraycopy(tokens, from[0], rowTokens, 0, rows);
          weights.embed(kernels, rowTokens, 0, rows, s.e);
          System.arraycopy(canonical.c(), from[0] * r, s.c, 0, rows * r);
          cacheWriter.append(
              new Segments(new GoldFinchState[] {state}, new int[] {0}, new int[] {rows}, rows),
              rowTokens,
              s);
        });
  }

  @Override
  public void ingest(final List<? extends ModelState> states, final List<int[]> tokens) {
    final GoldFinchState[] ours = checkStates(states);
    final int[][] input = CallChecks.tokenLists(tokens, ours.length, config().vocab());
    final int[] lengths = new int[input.length];
    for (int i = 0; i < input.length; i++) {
      lengths[i] = input[i].length;
    }
    final GoldFinchScratch scratch = borrow();
    try {
      final int[] rowTokens = new int[scratch.rows];
      RowBatcher.run(
          lengths,
          scratch.rows,
          (item, from, start, count, segments, rows) -> {
            for (int g = 0; g < segments; g++) {
              System.arraycopy(input[item[g]], from[g], rowTokens, start[g], count[g]);
            }
            new FinchC2Pass(
                    weights,
                    kernels,
                    cacheWriter,
                    scratch,
                    segments(ours, item, start, count, segments, rows))
                .run(rowTokens);
          });
    } finally {
      scratchPool.add(scratch);
    }
  }

  @Override
  public void logits(final List<? extends ModelState> states, final float[][] out) {
    final GoldFinchState[] ours = checkStates(states);
    CallChecks.outputs(out, ours.length, config().vocab(), "logits");
    final GoldFinchScratch scratch = borrow();
    try {
      catchUp(ours, scratch);
      head(ours, out, scratch);
    } finally {
      scratchPool.add(scratch);
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

  /**
   * Brings the GOLD part of every state up to its position (§5.2–5.3). A state whose GOLD part lags
   * by more than the window W = 2G restarts it W tokens before the end: GOLD shift vectors zeroed,
   * the first block's query shift seeded with LN1(hF) of the token before the window.
   */
  private void catchUp(final GoldFinchState[] states, final GoldFinchScratch s) {
    final int window = config().window();
    final int c = config().dim();
    final int[] rows = new int[states.length];
    for (int i = 0; i < states.length; i++) {
      final GoldFinchState state = states[i];
      final long start = Math.max(state.goldPosition, state.position - window);
      if (start > state.goldPosition) {
        for (int l = 0; l < config().goldLayers(); l++) {
          Arrays.fill(state.gold_att_x[l], 0f);
          Arrays.fill(state.gold_ffn_x[l], 0f);
        }
        final var ln1 = weights.gold().get(0).ln1();
        System.arraycopy(state.boundary(start - 1), 0, s.xx, 0, c);
        kernels.layerNorm(
            state.gold_att_x[0], s.xx, 1, ln1.weight(), ln1.bias(), FinchConfig.LAYER_NORM_EPS);
        state.goldPosition = start;
      }
      rows[i] = (int) (state.position - state.goldPosition);
    }
    RowBatcher.run(
        rows,
        s.rows,
        (item, from, start, count, segments, total) ->
            new GoldPass(
                    weights,
                    kernels,
                    attention,
                    s,
                    segments(states, item, start, count, segments, total))
                .run());
  }

  /** {@code out[i] = head · LN_out(last_x of states[i])}, a batch of rows at a time. */
  private void head(final GoldFinchState[] states, final float[][] out, final GoldFinchScratch s) {
    final float[][] lastX = new float[states.length][];
    for (int i = 0; i < states.length; i++) {
      lastX[i] = states[i].last_x;
    }
    Head.logits(kernels, weights.ln_out(), weights.head(), lastX, out, s.rows, s.xx, s::logits);
  }

  private static Segments segments(
      final GoldFinchState[] states,
      final int[] item,
      final int[] start,
      final int[] count,
      final int segments,
      final int rows) {
    final GoldFinchState[] seg = new GoldFinchState[segments];
    for (int g = 0; g < segments; g++) {
      seg[g] = states[item[g]];
    }
    return new Segments(seg, Arrays.copyOf(start, segments), Arrays.copyOf(count, segments), rows);
  }

  private GoldFinchScratch borrow() {
    final GoldFinchScratch pooled = scratchPool.poll();
    return pooled != null ? pooled : new GoldFinchScratch(config(), maxRows);
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
