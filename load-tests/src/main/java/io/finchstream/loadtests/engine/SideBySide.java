package io.finchstream.loadtests.engine;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.Models;
import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.io.LoadProgress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Finchstream timed the way {@code load-tests/src/main/c/rwkvcpp_driver.c} times rwkv.cpp, on the
 * same model file, for {@code load-tests/bin/rwkvcpp-side-by-side.sh}: prefill = one conversation
 * ingesting {@code prefill} tokens from the empty state in passes of {@code chunk} rows (best of
 * {@code passes} after a warm-up); decode = {@code step} with logits from that state, the median of
 * {@code decode} individually timed tokens after a warm-up; optionally batched decode of {@code
 * batch} conversations (tokens/s). Prints one JSON object.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp 'load-tests/target/classes:load-tests/target/lib/*' \
 *   io.finchstream.loadtests.engine.SideBySide model=FILE precision=bf16 [threads=2] [decode=64]
 *   [prefill=512] [chunk=64] [passes=3] [batch=0]
 * </pre>
 */
public final class SideBySide {

  private SideBySide() {}

  public static void main(final String[] args) {
    final Path file = Path.of(arg(args, "model", null));
    final WeightPrecision precision = WeightPrecision.ofLabel(arg(args, "precision", "bf16"));
    final int threads = Integer.parseInt(arg(args, "threads", "2"));
    final int decode = Integer.parseInt(arg(args, "decode", "64"));
    final int prefill = Integer.parseInt(arg(args, "prefill", "512"));
    final int chunk = Integer.parseInt(arg(args, "chunk", "64"));
    final int passes = Integer.parseInt(arg(args, "passes", "3"));
    final int batch = Integer.parseInt(arg(args, "batch", "0"));
    final long loadStart = System.nanoTime();
    final LanguageModel model =
        Models.load(
            file,
            LoadOptions.defaults()
                .withPrecision(precision)
                .withThreads(threads)
                .withMaxRowsPerPass(Math.max(chunk, batch))
                .withProgress(LoadProgress.NONE));
    final double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
    final int vocab = model.info().vocabSize();
    final SplittableRandom random = new SplittableRandom(0x9E3779B97F4A7C15L);
    final int[] prompt = random.ints(prefill, 0, vocab).toArray();

    // prefill: warm up until three passes agree within 5%, then the best of `passes`
    stable(() -> model.ingest(List.of(model.newState()), List.of(prompt)));
    double best = Double.MAX_VALUE;
    for (int p = 0; p < passes; p++) {
      best =
          Math.min(best, seconds(() -> model.ingest(List.of(model.newState()), List.of(prompt))));
    }

    // decode from the prefilled state
    final ModelState state = model.newState();
    model.ingest(List.of(state), List.of(prompt));
    final float[][] logits = new float[1][vocab];
    final int[] token = new int[1];
    final Runnable step =
        () -> {
          token[0] = random.nextInt(vocab);
          model.step(List.of(state), token, logits);
        };
    stable(
        () -> {
          for (int i = 0; i < 16; i++) {
            step.run();
          }
        });
    final double[] times = new double[decode];
    for (int i = 0; i < decode; i++) {
      times[i] = seconds(step);
    }
    Arrays.sort(times);
    final double median =
        decode % 2 == 1 ? times[decode / 2] : (times[decode / 2 - 1] + times[decode / 2]) / 2;

    double batchTokensPerSecond = 0;
    if (batch > 0) {
      final List<ModelState> states = new ArrayList<>();
      final List<int[]> prompts = new ArrayList<>();
      for (int i = 0; i < batch; i++) {
        states.add(model.newState());
        prompts.add(random.ints(8, 0, vocab).toArray());
      }
      model.ingest(states, prompts);
      final float[][] out = new float[batch][vocab];
      final int[] tokens = new int[batch];
      final Runnable batchStep =
          () -> {
            for (int i = 0; i < batch; i++) {
              tokens[i] = random.nextInt(vocab);
            }
            model.step(states, tokens, out);
          };
      stable(batchStep);
      double fastest = Double.MAX_VALUE;
      for (int r = 0; r < 5; r++) {
        fastest = Math.min(fastest, seconds(batchStep));
      }
      batchTokensPerSecond = batch / fastest;
    }
    System.out.printf(
        Locale.ROOT,
        "{\"engine\": \"finchstream\", \"model\": \"%s\", \"precision\": \"%s\", \"threads\": %d,"
            + " \"load_s\": %.2f, \"decode_ms_per_token\": %.3f, \"prefill_tokens_per_second\": %.2f,"
            + " \"batch\": %d, \"batch_tokens_per_second\": %.2f}%n",
        file,
        precision.label(),
        threads,
        loadSeconds,
        median * 1e3,
        prefill / best,
        batch,
        batchTokensPerSecond);
  }

  /** Runs {@code body} until three consecutive timings agree within 5% (at most 90 s). */
  private static void stable(final Runnable body) {
    final long deadline = System.nanoTime() + 90_000_000_000L;
    double previous = Double.NaN;
    int agreeing = 0;
    while (agreeing < 3 && System.nanoTime() < deadline) {
      final double t = seconds(body);
      agreeing = Math.abs(t - previous) <= 0.05 * t ? agreeing + 1 : 0;
      previous = t;
    }
  }

  private static double seconds(final Runnable body) {
    final long start = System.nanoTime();
    body.run();
    return (System.nanoTime() - start) / 1e9;
  }

  private static String arg(final String[] args, final String key, final String fallback) {
    for (final String a : args) {
      if (a.startsWith(key + "=")) {
        return a.substring(key.length() + 1);
      }
    }
    if (fallback == null) {
      throw new IllegalArgumentException("missing argument " + key + "=...");
    }
    return fallback;
  }
}
