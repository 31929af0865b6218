package io.finchstream.engine.finch;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.ModelInfo;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.kernels.Kernels;
import io.finchstream.engine.rwkv.ScratchPool;
import io.finchstream.engine.state.CallChecks;
import io.finchstream.engine.tensor.Fingerprint;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finch (RWKV-6) inference (finch-math §2). Immutable and thread-safe: all conversation state lives
 * in {@link FinchState}. A call pushes the tokens of all its states through the layers together, in
 * passes of at most {@code maxRowsPerPass} rows (every projection is one matmul over the rows of
 * all states in the pass; the WKV recurrence runs per state, token by token). Results are
 * bit-identical whatever the batch, the chunking and the thread count (see {@link LanguageModel}).
 */
public final class FinchModel implements LanguageModel {

  private final FinchWeights weights;
  private final Kernels kernels;
  private final ModelInfo info;
  private final ScratchPool<FinchScratch> scratchPool;

  /**
   * A model over loaded weights.
   *
   * @param id the weights' fingerprint (64 hex digits), see {@link Fingerprint}
   * @param format checkpoint format shown by {@code inspect}
   */
  public FinchModel(
      final FinchWeights weights,
      final Kernels kernels,
      final String id,
      final String format,
      final int maxRowsPerPass) {
    this.weights = weights;
    this.kernels = kernels;
    final FinchConfig c = weights.config();
    this.scratchPool = new ScratchPool<>(() -> new FinchScratch(c, maxRowsPerPass));
    final Map<String, String> details = new LinkedHashMap<>();
    details.put("heads (H)", Integer.toString(c.heads()));
    details.put("head size (N)", Integer.toString(c.headSize()));
    details.put("ffn dim (F)", Integer.toString(c.ffnDim()));
    details.put("token-shift LoRA rank (D_MIX)", Integer.toString(c.mixRank()));
    details.put("decay LoRA rank (D_DECAY)", Integer.toString(c.decayRank()));
    details.put("checkpoint format", format);
    details.put("weight bytes in memory", Long.toString(weights.bytes()));
    details.put("weight bytes read per decoded token", Long.toString(weights.bytesPerToken()));
    details.put(
        "state bytes (bf16 WKV)", Long.toString(FinchStateCodec.size(c, StatePrecision.BF16)));
    details.put("kernels", kernels.name() + " on " + kernels.threads() + " thread(s)");
    this.info =
        new ModelInfo(
            "finch",
            id,
            c.vocabSize(),
            c.layers(),
            c.dim(),
            weights.parameters(),
            weights.precision().label(),
            FinchStateCodec.size(c, StatePrecision.FP32),
            0,
            0,
            details);
  }

  /** Loads a Finch model from an opened checkpoint (strict: see {@link FinchWeights#load}). */
  public static FinchModel load(final Checkpoint checkpoint, final LoadOptions options) {
    final Kernels kernels = Kernels.create(options.kernels(), options.threads());
    final FinchWeights weights =
        FinchWeights.load(checkpoint, options.precision(), kernels, options.progress());
    final String id = Fingerprint.of(checkpoint, "finch");
    return new FinchModel(weights, kernels, id, checkpoint.format(), options.maxRowsPerPass());
  }

  /** The weights (read-only). */
  public FinchWeights weights() {
    return weights;
  }

  /** The kernels this model computes with. */
  public Kernels kernels() {
    return kernels;
  }

  @Override
  public ModelInfo info() {
    return info;
  }

  @Override
  public FinchState newState() {
    return new FinchState(weights.config(), info.id());
  }

  @Override
  public FinchState restoreState(final byte[] recurrent, final List<byte[]> cacheBlocks) {
    if (cacheBlocks != null && !cacheBlocks.isEmpty()) {
      throw new EngineException(
          "Finch has no token cache, but "
              + cacheBlocks.size()
              + " cache block(s) were given; they belong to another architecture");
    }
    return FinchStateCodec.decode(recurrent, weights.config(), info.id());
  }

  @Override
  public void ingest(final List<? extends ModelState> states, final List<int[]> tokens) {
    final FinchState[] ours = checkStates(states);
    final int[][] input = CallChecks.tokenLists(tokens, ours.length, weights.config().vocabSize());
    final FinchScratch scratch = scratchPool.borrow();
    try {
      new FinchScheduler(weights, kernels, scratch).ingest(ours, input);
    } finally {
      scratchPool.release(scratch);
    }
  }

  @Override
  public void logits(final List<? extends ModelState> states, final float[][] out) {
    final FinchState[] ours = checkStates(states);
    CallChecks.outputs(out, ours.length, weights.config().vocabSize(), "logits");
    final FinchScratch scratch = scratchPool.borrow();
    try {
      new FinchScheduler(weights, kernels, scratch).logits(ours, out);
    } finally {
      scratchPool.release(scratch);
    }
  }

  @Override
  public void step(
      final List<? extends ModelState> states, final int[] tokens, final float[][] out) {
    final int[][] single = CallChecks.stepTokens(tokens, states.size());
    CallChecks.outputs(
        out, states.size(), weights.config().vocabSize(), "step"); // before any state changes
    ingest(states, List.of(single));
    logits(states, out);
  }

  private FinchState[] checkStates(final List<? extends ModelState> states) {
    return CallChecks.states(
        states,
        FinchState.class,
        f -> f.config.equals(weights.config()) && f.modelId.equals(info.id()),
        () -> "Finch model (" + weights.config() + ", id " + info.id() + ")",
        FinchState[]::new);
  }
}
