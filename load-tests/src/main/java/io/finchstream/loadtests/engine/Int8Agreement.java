package io.finchstream.loadtests.engine;

import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.finch.FinchModel;
import io.finchstream.engine.finch.FinchState;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * int8 weights against fp32 on a random benchmark model (issue 16 item 1): the fp32 model decodes
 * {@code steps} tokens greedily after a random prompt; the int8 model (quantized at load from the
 * same file) is fed the same tokens, and at every step the two top-1 tokens are compared and the
 * logits' max abs difference recorded. Random models have flat logits (their top-1 margins are
 * small), so this is a hard case for agreement; the trained tiny model's check is a unit test.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx14g -cp 'load-tests/target/classes:load-tests/target/lib/*' \
 *   io.finchstream.loadtests.engine.Int8Agreement [model=L12-D768] [steps=1000]
 * </pre>
 */
public final class Int8Agreement {

  private Int8Agreement() {}

  public static void main(final String[] args) {
    String name = "L12-D768";
    int steps = 1000;
    for (final String a : args) {
      if (a.startsWith("model=")) {
        name = a.substring(6);
      } else if (a.startsWith("steps=")) {
        steps = Integer.parseInt(a.substring(6));
      }
    }
    final int threads = Runtime.getRuntime().availableProcessors();
    final FinchModel fp32 = BenchModels.load(name, WeightPrecision.FP32, threads, 64);
    final FinchModel int8 = BenchModels.load(name, WeightPrecision.INT8, threads, 64);
    final int vocab = BenchModels.VOCAB;
    final int[] prompt = new SplittableRandom(11).ints(32, 0, vocab).toArray();
    final FinchState a = fp32.newState();
    final FinchState b = int8.newState();
    fp32.ingest(List.of(a), List.of(prompt));
    int8.ingest(List.of(b), List.of(prompt));
    final float[][] la = new float[1][vocab];
    final float[][] lb = new float[1][vocab];
    fp32.logits(List.of(a), la);
    int8.logits(List.of(b), lb);
    int same = 0;
    final double[] errors = new double[steps];
    double logitStd = 0;
    for (int s = 0; s < steps; s++) {
      final int top = argmax(la[0]);
      same += top == argmax(lb[0]) ? 1 : 0;
      errors[s] = maxAbs(la[0], lb[0]);
      logitStd += std(la[0]) / steps;
      fp32.step(List.of(a), new int[] {top}, la);
      int8.step(List.of(b), new int[] {top}, lb);
    }
    Arrays.sort(errors);
    System.out.printf(
        Locale.ROOT,
        "%s, %d greedy decode steps (fp32's tokens fed to both): top-1 agreement %d/%d = %.1f%%;"
            + " max abs logit difference median %.3f, p99 %.3f, max %.3f (logit std %.3f);"
            + " weight bytes fp32 %d, int8 %d%n",
        name,
        steps,
        same,
        steps,
        100.0 * same / steps,
        errors[steps / 2],
        errors[(int) (steps * 0.99)],
        errors[steps - 1],
        logitStd,
        fp32.weights().bytes(),
        int8.weights().bytes());
  }

  private static int argmax(final float[] x) {
    int best = 0;
    for (int i = 1; i < x.length; i++) {
      best = x[i] > x[best] ? i : best;
    }
    return best;
  }

  private static double maxAbs(final float[] x, final float[] y) {
    double worst = 0;
    for (int i = 0; i < x.length; i++) {
      worst = Math.max(worst, Math.abs((double) x[i] - y[i]));
    }
    return worst;
  }

  private static double std(final float[] x) {
    double sum = 0;
    double squares = 0;
    for (final float v : x) {
      sum += v;
      squares += (double) v * v;
    }
    final double mean = sum / x.length;
    return Math.sqrt(Math.max(0, squares / x.length - mean * mean));
  }
}
