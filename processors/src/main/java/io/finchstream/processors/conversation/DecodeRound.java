package io.finchstream.processors.conversation;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.sampling.Sampler;
import io.finchstream.processors.FinchstreamMetrics;
import io.finchstream.proto.v1.FinishReason;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One decode round for a batch of ready generations, whichever tasks they belong to: one batched
 * engine call ({@link LanguageModel#step} for generations whose state lags by their last sampled
 * token, {@link LanguageModel#logits} for those at the end of the log), then one draw each. Touches
 * only the decoders and their (pinned) states, never a store: what a generation draws is
 * accumulated in its {@link Emission} and returned as a {@link DecodeResult}. An engine failure
 * ends the generations of the failing call (or the one whose draw failed), not the thread. The
 * logit rows are reused across rounds. Used by one decode thread.
 */
final class DecodeRound {

  /** What one generation drew during a cycle (decode thread only until the cycle returns). */
  static final class Emission {
    final Decoder decoder;
    private final IntList tokens = new IntList();
    private final StringBuilder text = new StringBuilder();
    private FinishReason finished;
    private RuntimeException failure;

    Emission(final Decoder decoder) {
      this.decoder = decoder;
    }

    /** Whether the generation will not draw again (ended or failed). */
    boolean over() {
      return finished != null || failure != null;
    }

    DecodeResult result() {
      return new DecodeResult(decoder, tokens.toArray(), text.toString(), finished, failure);
    }
  }

  private final LanguageModel model;
  private final FinchstreamMetrics metrics;
  private final Sampler sampler = new Sampler();
  private final List<ModelState> stepStates = new ArrayList<>();
  private final List<Emission> steps = new ArrayList<>();
  private final List<ModelState> logitStates = new ArrayList<>();
  private final List<Emission> logits = new ArrayList<>();

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
  boolean run(final List<Emission> batch) {
    stepStates.clear();
    steps.clear();
    logitStates.clear();
    logits.clear();
    for (final Emission e : batch) {
      if (e.decoder.pendingToken() >= 0) {
        stepStates.add(e.decoder.state());
        steps.add(e);
      } else {
        logitStates.add(e.decoder.state());
        logits.add(e);
      }
    }
    grow(batch.size());
    logitRows = view(logitRows, 0, logits.size());
    stepRows = view(stepRows, logits.size(), steps.size());
    final long t0 = System.nanoTime();
    final boolean logitsOk =
        logits.isEmpty() || call(logits, () -> model.logits(logitStates, logitRows));
    final boolean stepsOk =
        steps.isEmpty()
            || call(
                steps,
                () -> {
                  final int[] tokens = new int[steps.size()];
                  for (int i = 0; i < tokens.length; i++) {
                    tokens[i] = steps.get(i).decoder.pendingToken();
                  }
                  model.step(stepStates, tokens, stepRows);
                });
    metrics.engineTime(System.nanoTime() - t0);
    metrics.batch(batch.size(), batch.size());
    final long now = System.currentTimeMillis();
    final boolean firstOfLogits = logitsOk && draw(logits, logitRows, now);
    final boolean firstOfSteps = stepsOk && draw(steps, stepRows, now);
    return firstOfLogits || firstOfSteps;
  }

  /** Runs one engine call; if it fails, every generation of the call fails with it. */
  private static boolean call(final List<Emission> of, final Runnable engineCall) {
    try {
      engineCall.run();
      return true;
    } catch (final RuntimeException e) {
      for (final Emission em : of) {
        em.failure = e;
      }
      return false;
    }
  }

  private boolean draw(final List<Emission> gens, final float[][] rowsOf, final long nowMs) {
    boolean first = false;
    int drawn = 0;
    for (int i = 0; i < gens.size(); i++) {
      final Emission e = gens.get(i);
      final Decoder.Draw d;
      try {
        d = e.decoder.draw(sampler, rowsOf[i]);
      } catch (final RuntimeException ex) {
        e.failure = ex;
        continue;
      }
      drawn++;
      if (d.appended() >= 0) {
        e.tokens.add(d.appended());
      }
      e.text.append(d.text());
      e.finished = d.finished();
      if (d.first()) {
        first = true;
        metrics.firstToken(nowMs - e.decoder.acceptedAtMs);
      }
    }
    metrics.tokensGenerated(drawn);
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

  /** A growable int array (no boxing in the per-token path). */
  static final class IntList {
    private int[] data = new int[16];
    private int size;

    void add(final int v) {
      if (size == data.length) {
        data = Arrays.copyOf(data, size * 2);
      }
      data[size++] = v;
    }

    int size() {
      return size;
    }

    int[] toArray() {
      return Arrays.copyOf(data, size);
    }
  }
}
