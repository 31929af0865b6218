package io.finchstream.engine.finch;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.ModelInfo;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.kernels.Kernels;
import io.finchstream.engine.tensor.Fingerprint;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Finch (RWKV-6) inference (finch-math §2). Immutable and thread-safe: all conversation state lives
 * in {@link FinchState}. A call pushes the tokens of all its states through the layers together, in
 * passes of at most {@code maxRowsPerPass} rows (every projection is one matmul over the rows of all
 * states in the pass; the WKV recurrence runs per state, token by token). Results are bit-identical
 * whatever the batch, the chunking and the thread count (see {@link LanguageModel}).
 */
public final class FinchModel implements LanguageModel {

  private final FinchWeights weights;
  private final Kernels kernels;
  private final ModelInfo info;
  private final int maxRows;
  private final ConcurrentLinkedQueue<FinchScratch> scratchPool = new ConcurrentLinkedQueue<>();

  /**
   * A model over loaded weights.
   *
   * @param id the weights' fingerprint (64 hex digits), see {@link Fingerprint}
   * @param format checkpoint format shown by {@code inspect}
   */
  public FinchModel(
      final FinchWeights weights, final Kernels kernels, final String id, final String format,
      final int maxRowsPerPass) {
    this.weights = weights;
    this.kernels = kernels;
    this.maxRows = maxRowsPerPass;
    final FinchConfig c = weights.config();
    final Map<String, String> details = new LinkedHashMap<>();
    details.put("heads (H)", Integer.toString(c.heads()));
    details.put("head size (N)", Integer.toString(c.headSize()));
    details.put("ffn dim (F)", Integer.toString(c.ffnDim()));
    details.put("token-shift LoRA rank (D_MIX)", Integer.toString(c.mixRank()));
    details.put("decay LoRA rank (D_DECAY)", Integer.toString(c.decayRank()));
    details.put("checkpoint format", format);
    details.put("weight bytes in memory", Long.toString(weights.bytes()));
    details.put("weight bytes read per decoded token", Long.toString(weights.bytesPerToken()));
    details.put("state bytes (bf16 WKV)", Long.toString(FinchStateCodec.size(c, StatePrecision.BF16)));
    details.put("kernels", kernels.name() + " on " + kernels.threads() + " thread(s)");
    this.info = new ModelInfo("finch", id, c.vocabSize(), c.layers(), c.dim(), weights.parameters(),
        weights.precision().label(), FinchStateCodec.size(c, StatePrecision.FP32), 0, details);
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
      throw new EngineException("Finch has no token cache, but " + cacheBlocks.size()
          + " cache block(s) were given; they belong to another architecture");
    }
    return FinchStateCodec.decode(recurrent, weights.config(), info.id());
  }

  @Override
  public void ingest(final List<? extends ModelState> states, final List<int[]> tokens) {
    final FinchState[] ours = checkStates(states);
    if (tokens == null || tokens.size() != ours.length) {
      throw new EngineException("ingest: " + ours.length + " states but "
          + (tokens == null ? "no" : Integer.toString(tokens.size())) + " token lists");
    }
    final int[][] input = tokens.toArray(new int[0][]);
    for (int i = 0; i < input.length; i++) {
      checkTokens(input[i], i);
    }
    final FinchScratch scratch = borrow();
    try {
      new FinchScheduler(weights, kernels, scratch).ingest(ours, input);
    } finally {
      scratchPool.add(scratch);
    }
  }

  @Override
  public void logits(final List<? extends ModelState> states, final float[][] out) {
    final FinchState[] ours = checkStates(states);
    final int vocab = weights.config().vocabSize();
    if (out == null || out.length != ours.length) {
      throw new EngineException("logits: " + ours.length + " states but "
          + (out == null ? "no" : Integer.toString(out.length)) + " output rows");
    }
    for (int i = 0; i < out.length; i++) {
      if (out[i] == null || out[i].length != vocab) {
        throw new EngineException("logits: output row " + i + " must have the vocabulary size " + vocab);
      }
    }
    final FinchScratch scratch = borrow();
    try {
      new FinchScheduler(weights, kernels, scratch).logits(ours, out);
    } finally {
      scratchPool.add(scratch);
    }
  }

  @Override
  public void step(final List<? extends ModelState> states, final int[] tokens, final float[][] out) {
    if (tokens == null || tokens.length != states.size()) {
      throw new EngineException("step: " + states.size() + " states but "
          + (tokens == null ? "no" : Integer.toString(tokens.length)) + " tokens");
    }
    if (out == null || out.length != states.size()) {
      throw new EngineException("step: " + states.size() + " states but "
          + (out == null ? "no" : Integer.toString(out.length)) + " output rows");
    }
    final int[][] single = new int[tokens.length][];
    for (int i = 0; i < tokens.length; i++) {
      single[i] = new int[] {tokens[i]};
    }
    ingest(states, List.of(single));
    logits(states, out);
  }

  private FinchScratch borrow() {
    final FinchScratch pooled = scratchPool.poll();
    return pooled != null ? pooled : new FinchScratch(weights.config(), maxRows);
  }

  private FinchState[] checkStates(final List<? extends ModelState> states) {
    if (states == null) {
      throw new EngineException("states must not be null");
    }
    final FinchState[] out = new FinchState[states.size()];
    final IdentityHashMap<ModelState, Boolean> seen = new IdentityHashMap<>();
    for (int i = 0; i < out.length; i++) {
      final ModelState state = states.get(i);
      if (!(state instanceof FinchState f)
          || !f.config.equals(weights.config())
          || !f.modelId.equals(info.id())) {
        throw new EngineException("state " + i + " (" + state + ") does not belong to this Finch model ("
            + weights.config() + ", id " + info.id() + "); create it with newState() or restoreState()");
      }
      if (seen.put(state, Boolean.TRUE) != null) {
        throw new EngineException("state " + i + " appears twice in one call; a state may appear only once");
      }
      out[i] = f;
    }
    return out;
  }

  private void checkTokens(final int[] tokens, final int input) {
    if (tokens == null) {
      throw new EngineException("ingest: token list " + input + " is null");
    }
    final int vocab = weights.config().vocabSize();
    for (int j = 0; j < tokens.length; j++) {
      if (tokens[j] < 0 || tokens[j] >= vocab) {
        throw new EngineException("token " + tokens[j] + " at index " + j + " of input " + input
            + " is out of range: this model's vocabulary has ids 0.." + (vocab - 1) + "; no state was changed");
      }
    }
  }
}
