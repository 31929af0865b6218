package io.finchstream.processors.conversation;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.sampling.Sampler;
import io.finchstream.processors.FinchstreamMetrics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One decode round for a batch of ready generations, whichever tasks they belong to: one batched
 * engine call ({@link LanguageModel#step} for generations whose state lags by their last sampled
 * token, {@link LanguageModel#logits} for those at the end of the log), then one draw each. Touches
 * only the generations and their (pinned) states in memory, never a store: storing and emitting is
 * each owning task's job ({@link GenerationLoop#flush}). The logit rows are reused across rounds.
 */
final class DecodeRound {

  private final LanguageModel model;
  private final FinchstreamMetrics metrics;
  private final Sampler sampler = new Sampler();
  private final List<ModelState> stepStates = new ArrayList<>();
  private final List<ActiveGeneration> stepGens = new ArrayList<>();
  private final List<ModelState> logitStates = new ArrayList<>();
  private final List<ActiveGeneration> logitGens = new ArrayList<>();

  /**
   * (rows, vocab): grown on demand, never shrunk; the two views below split it without copying
   * rows.
   */
  private float[][] rows = new float[0][];

  private float[][] logitRows = new float[0][];
  private float[][] stepRows = new float[0][];

  DecodeRound(final LanguageModel model, final FinchstreamMetrics metrics) {
    this.model = model;
    this.metrics = metrics;
  }

  /**
   * Advances every generation of {@code batch} by one token; returns whether one of them drew its
   * first token.
   */
  boolean run(final List<ActiveGeneration> batch) {
    stepStates.clear();
    stepGens.clear();
    logitStates.clear();
    logitGens.clear();
    for (final ActiveGeneration g : batch) {
      if (g.pendingToken >= 0) {
        stepStates.add(g.state);
        stepGens.add(g);
      } else {
        logitStates.add(g.state);
        logitGens.add(g);
      }
    }
    grow(batch.size());
    logitRows = view(logitRows, 0, logitGens.size());
    stepRows = view(stepRows, logitGens.size(), stepGens.size());
    final long t0 = System.nanoTime();
    if (!logitGens.isEmpty()) {
      model.logits(logitStates, logitRows);
    }
    if (!stepGens.isEmpty()) {
      final int[] tokens = new int[stepGens.size()];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = stepGens.get(i).pendingToken;
      }
      model.step(stepStates, tokens, stepRows);
    }
    metrics.engineTime(System.nanoTime() - t0);
    metrics.batch(batch.size(), batch.size());
    final long now = System.currentTimeMillis();
    final boolean firstOfLogits = draw(logitGens, logitRows, now);
    final boolean firstOfSteps = draw(stepGens, stepRows, now);
    return firstOfLogits || firstOfSteps;
  }

  private boolean draw(
      final List<ActiveGeneration> gens, final float[][] logits, final long nowMs) {
    boolean first = false;
    for (int i = 0; i < gens.size(); i++) {
      final ActiveGeneration g = gens.get(i);
      g.pendingToken = -1;
      g.accept(g.sample(sampler, logits[i]));
      if (!g.firstTokenSeen) {
        g.firstTokenSeen = true;
        first = true;
        metrics.firstToken(nowMs - g.progress.getAcceptedAtMs());
      }
    }
    metrics.tokensGenerated(gens.size());
    return first;
  }

  /**
   * Rows [from, from + n) of the shared logit rows as an array of exactly n rows; {@code cached} if
   * it already is.
   */
  @SuppressWarnings("ReferenceEquality") // the same row arrays, not equal contents
  private float[][] view(final float[][] cached, final int from, final int n) {
    if (cached.length == n && (n == 0 || cached[0] == rows[from])) {
      return cached;
    }
    return Arrays.copyOfRange(rows, from, from + n);
  }

  private void grow(final int n) {
    if (rows.length < n) {
      final float[][] grown = Arrays.copyOf(rows, n);
      for (int i = rows.length; i < n; i++) {
        grown[i] = new float[model.info().vocabSize()];
      }
      rows = grown;
    }
  }
}
