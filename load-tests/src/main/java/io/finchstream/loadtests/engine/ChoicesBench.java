package io.finchstream.loadtests.engine;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.sampling.Choices;
import io.finchstream.engine.sampling.Generation;
import io.finchstream.engine.sampling.Sampler;
import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.engine.tokenizer.WorldTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * What {@code n} choices of one prompt cost (OpenAI's {@code n}, issue 15), three ways, for each
 * {@code n}, on a random Finch model with the World vocabulary (a prompt of random token ids):
 *
 * <ul>
 *   <li><b>fork</b>: one prefill of the prompt, {@code n} in-memory forks of its state, one batched
 *       step per token for all the choices ({@link Choices});
 *   <li><b>prefill each</b>: each choice prefills the prompt itself, then the choices decode in one
 *       batch (what the processors do today when the branches' forks are applied before the
 *       prompt's tail was computed, docs/GATEWAY.md "n choices");
 *   <li><b>separate</b>: {@code n} independent requests, each one prefill and one unbatched decode
 *       (what a client pays asking {@code n} times).
 * </ul>
 *
 * Every choice generates exactly {@code tokens} tokens (end of text banned with {@code
 * logit_bias}). Reported: milliseconds for all {@code n} replies and the total tokens/s; medians
 * over the rounds after one untimed warm-up round.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx6g -cp 'load-tests/target/classes:load-tests/target/lib/*' \
 *   io.finchstream.loadtests.engine.ChoicesBench [model=L12-D768] [precision=bf16] [n=1,4,8]
 *   [prompt=512] [tokens=32] [rounds=3] [vocab=../shared/data/rwkv_vocab_v20230424.txt]
 * </pre>
 */
public final class ChoicesBench {

  private ChoicesBench() {}

  public static void main(final String[] args) {
    final Map<String, String> a = new HashMap<>();
    for (final String arg : args) {
      final int eq = arg.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("arguments are key=value, got " + arg);
      }
      a.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    final String modelName = a.getOrDefault("model", "L12-D768");
    final WeightPrecision precision =
        WeightPrecision.valueOf(a.getOrDefault("precision", "bf16").toUpperCase(Locale.ROOT));
    final int[] ns =
        Arrays.stream(a.getOrDefault("n", "1,4,8").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();
    final int promptTokens = Integer.parseInt(a.getOrDefault("prompt", "512"));
    final int tokens = Integer.parseInt(a.getOrDefault("tokens", "32"));
    final int rounds = Integer.parseInt(a.getOrDefault("rounds", "3"));
    final int threads = Runtime.getRuntime().availableProcessors();
    final LanguageModel model =
        BenchModels.load(modelName, precision, threads, LoadOptions.DEFAULT_MAX_ROWS);
    final Tokenizer tokenizer =
        WorldTokenizer.load(
            Path.of(
                a.getOrDefault(
                    "vocab",
                    Path.of(System.getenv().getOrDefault("FINCHSTREAM_SHARED", "../shared"))
                        .resolve("data")
                        .resolve(WorldTokenizer.VOCAB_FILE_NAME)
                        .toString())));
    final int[] prompt = new Random(7).ints(promptTokens, 1, model.info().vocabSize()).toArray();
    final SamplingParams params =
        SamplingParams.builder()
            .maxTokens(tokens)
            .seed(1)
            .logitBias(Map.of(Tokenizer.END_OF_TEXT, -100.0))
            .build();
    System.out.printf(
        Locale.ROOT,
        "# n choices: %s %s, %d threads, %s; prompt %d tokens, %d tokens per choice%n",
        modelName,
        precision.label(),
        threads,
        Runtime.version(),
        promptTokens,
        tokens);
    System.out.println("| round | n | fork ms | prefill-each ms | separate ms | fork tokens/s |");
    System.out.println("|---|---:|---:|---:|---:|---:|");
    final double[][][] ms = new double[ns.length][3][rounds];
    for (int round = 0; round <= rounds; round++) {
      for (int k = 0; k < ns.length; k++) {
        final int n = ns[k];
        final double fork = time(() -> fork(model, prompt, params, n, false, tokenizer));
        final double each = time(() -> fork(model, prompt, params, n, true, tokenizer));
        final double separate = time(() -> separate(model, prompt, params, n, tokenizer));
        if (round > 0) {
          ms[k][0][round - 1] = fork;
          ms[k][1][round - 1] = each;
          ms[k][2][round - 1] = separate;
          System.out.printf(
              Locale.ROOT,
              "| %d | %d | %.0f | %.0f | %.0f | %.1f |%n",
              round,
              n,
              fork,
              each,
              separate,
              n * tokens / (fork / 1e3));
        }
      }
    }
    System.out.println();
    System.out.println(
        "| n | fork ms | prefill-each ms | separate ms | fork tokens/s | separate ÷ fork |");
    System.out.println("|---:|---:|---:|---:|---:|---:|");
    for (int k = 0; k < ns.length; k++) {
      final double fork = median(ms[k][0]);
      final double each = median(ms[k][1]);
      final double separate = median(ms[k][2]);
      System.out.printf(
          Locale.ROOT,
          "| %d | %.0f | %.0f | %.0f | %.1f | %.2f |%n",
          ns[k],
          fork,
          each,
          separate,
          ns[k] * tokens / (fork / 1e3),
          separate / fork);
    }
  }

  /** {@code n} choices decoded in one batch; the prompt prefilled once, or once per choice. */
  private static void fork(
      final LanguageModel model,
      final int[] prompt,
      final SamplingParams params,
      final int n,
      final boolean prefillEach,
      final Tokenizer tokenizer) {
    final ModelState state = model.newState();
    model.ingest(List.of(state), List.of(prompt));
    if (prefillEach) {
      final List<ModelState> others = new ArrayList<>();
      final List<int[]> inputs = new ArrayList<>();
      for (int i = 1; i < n; i++) {
        others.add(model.newState());
        inputs.add(prompt);
      }
      if (!others.isEmpty()) {
        model.ingest(others, inputs);
      }
    }
    final Choices choices = new Choices(model, tokenizer, state, params, n, null);
    final Sampler sampler = new Sampler();
    while (!choices.done()) {
      choices.step(sampler);
    }
  }

  /** {@code n} independent requests: prefill and an unbatched decode each. */
  private static void separate(
      final LanguageModel model,
      final int[] prompt,
      final SamplingParams params,
      final int n,
      final Tokenizer tokenizer) {
    for (int i = 0; i < n; i++) {
      final ModelState state = model.newState();
      model.ingest(List.of(state), List.of(prompt));
      final Generation g =
          new Generation(tokenizer, params.toBuilder().seed(Choices.seed(1, i)).build());
      final Sampler sampler = new Sampler();
      final float[][] logits = new float[1][model.info().vocabSize()];
      model.logits(List.of(state), logits);
      while (!g.ended()) {
        final int t = g.sample(sampler, logits[0]);
        g.accept(t);
        if (!g.ended()) {
          model.step(List.of(state), new int[] {t}, logits);
        }
      }
    }
  }

  private static double time(final Runnable r) {
    final long t0 = System.nanoTime();
    r.run();
    return (System.nanoTime() - t0) / 1e6;
  }

  private static double median(final double[] values) {
    final double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
