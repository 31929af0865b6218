package io.finchstream.app;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.io.LoadProgress;
import io.finchstream.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The next-token loss of a model on a text, the way {@code finchstream eval} and {@code
 * tools/train_demo_models.py} measure it.
 *
 * <p>The tokens are split into consecutive windows of {@code context} predictions, each run from
 * the empty state: window {@code w} feeds tokens {@code [w·context, (w+1)·context]} one at a time
 * and scores the prediction of each next token. Consecutive windows share one token, so every token
 * but the first of the text is predicted exactly once. {@code context = 0} is one window over the
 * whole text (the recurrent state is never reset).
 *
 * <p>Loss per prediction is {@code logsumexp(logits) - logits[next]} in nats, summed in double.
 * Windows run side by side in one engine call ({@code batch} at a time), which changes nothing in
 * the result: the engine is bit-identical whatever the batch, and the losses are summed per window
 * in token order, then over the windows in text order.
 */
final class TextEvaluation {

  /** Tokens between progress reports. */
  private static final int REPORT_EVERY = 256;

  private TextEvaluation() {}

  /**
   * What one evaluation measured.
   *
   * @param tokens predicted tokens (every token of the text but the first)
   * @param bytes UTF-8 bytes of the predicted tokens
   * @param nats summed loss over the predicted tokens
   * @param windows windows the text was split into
   */
  record Result(long tokens, long bytes, double nats, int windows) {

    /** Mean loss per predicted token, in nats. */
    double loss() {
      return nats / tokens;
    }

    /** {@code exp(loss)}. */
    double perplexity() {
      return Math.exp(loss());
    }

    /** The summed loss in bits over the bytes of the predicted tokens. */
    double bitsPerByte() {
      return nats / Math.log(2) / bytes;
    }
  }

  /** A window: feeds tokens {@code [start, end)} and scores tokens {@code start+1 .. end-1}. */
  record Window(int start, int end) {

    int predictions() {
      return end - start - 1;
    }
  }

  /** The windows over {@code n} tokens ({@code n >= 2}); {@code context = 0}: one window. */
  static List<Window> windows(final int n, final int context) {
    if (n < 2) {
      throw new IllegalArgumentException("need at least 2 tokens, got " + n);
    }
    if (context < 0) {
      throw new IllegalArgumentException("context must be >= 0, got " + context);
    }
    final int step = context == 0 ? n - 1 : context;
    final List<Window> out = new ArrayList<>();
    for (int start = 0; start < n - 1; start += step) {
      out.add(new Window(start, (int) Math.min((long) start + step + 1, n)));
    }
    return out;
  }

  /**
   * Runs the evaluation.
   *
   * @param progress told {@code ("eval", predicted so far, total predictions)}
   * @throws EngineException when the model produces a non-finite logit
   */
  static Result run(
      final LanguageModel model,
      final Tokenizer tokenizer,
      final int[] tokens,
      final int context,
      final int batch,
      final LoadProgress progress) {
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be >= 1, got " + batch);
    }
    final List<Window> windows = windows(tokens.length, context);
    final int vocab = model.info().vocabSize();
    final long total = tokens.length - 1L;
    final double[] windowNats = new double[windows.size()]; // summed per window, then in text order
    long done = 0;
    long reported = -REPORT_EVERY;
    progress.update("eval", 0, total);
    for (int first = 0; first < windows.size(); first += batch) {
      final List<Window> group = windows.subList(first, Math.min(first + batch, windows.size()));
      final List<ModelState> states = new ArrayList<>(group.size());
      int longest = 0;
      for (final Window w : group) {
        states.add(model.newState());
        longest = Math.max(longest, w.predictions());
      }
      final float[][] logits = new float[group.size()][vocab];
      for (int i = 0; i < longest; i++) {
        // windows are in text order and only the last one is shorter: the active ones are a prefix
        int active = 0;
        while (active < group.size() && i < group.get(active).predictions()) {
          active++;
        }
        final int[] input = new int[active];
        for (int j = 0; j < active; j++) {
          input[j] = tokens[group.get(j).start() + i];
        }
        final float[][] out = active == group.size() ? logits : Arrays.copyOf(logits, active);
        model.step(states.subList(0, active), input, out);
        for (int j = 0; j < active; j++) {
          final int position = group.get(j).start() + i + 1;
          windowNats[first + j] += loss(out[j], tokens[position], position);
        }
        done += active;
        if (done - reported >= REPORT_EVERY) {
          progress.update("eval", done, total);
          reported = done;
        }
      }
    }
    progress.update("eval", total, total);
    double nats = 0;
    for (final double n : windowNats) {
      nats += n;
    }
    long bytes = 0;
    for (int t = 1; t < tokens.length; t++) {
      bytes += tokenizer.tokenBytes(tokens[t]).length;
    }
    return new Result(total, bytes, nats, windows.size());
  }

  /** {@code logsumexp(logits) - logits[next]}, in double. */
  static double loss(final float[] logits, final int next, final int position) {
    double max = Double.NEGATIVE_INFINITY;
    for (final float v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (final float v : logits) {
      sum += Math.exp(v - max);
    }
    final double loss = max + Math.log(sum) - logits[next];
    if (!Double.isFinite(loss)) {
      throw new EngineException(
          "the model produced non-finite logits predicting token " + position + " of the text");
    }
    return loss;
  }
}
