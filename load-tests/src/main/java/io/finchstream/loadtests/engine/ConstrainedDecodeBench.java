package io.finchstream.loadtests.engine;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.sampling.Choices;
import io.finchstream.engine.sampling.Generation;
import io.finchstream.engine.sampling.Sampler;
import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.engine.sampling.TokenConstraint;
import io.finchstream.engine.structured.JsonGrammar;
import io.finchstream.engine.structured.TokenGrammar;
import io.finchstream.engine.structured.TokenTable;
import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.engine.tokenizer.WorldTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Structured outputs and {@code n} choices against plain decode, in the same run (issue 15): the
 * cost of the JSON-schema mask per generated token next to the cost of the decode step that
 * produced the logits, and the tokens/s of {@code n} choices decoded in one batch against {@code n
 * = 1}.
 *
 * <p>Each round runs constrained generations (4 response formats × 2 seeds, up to {@code
 * max_tokens} each) on a random Finch model with the World vocabulary, timing separately every
 * {@code step} (decode), every mask ({@link TokenConstraint#apply}, through a timing decorator),
 * and every accept: once with the masks cached (the steady state of a service that sees a schema
 * again), once with the cache off (every draw walks the token trie: the cost of a state seen for
 * the first time). Then it runs {@code n} choices for each {@code n}. Medians over the rounds;
 * rounds after one untimed warm-up round.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx6g -cp 'load-tests/target/classes:load-tests/target/lib/*' \
 *   io.finchstream.loadtests.engine.ConstrainedDecodeBench [model=L12-D768] [precision=bf16]
 *   [vocab=../shared/data/rwkv_vocab_v20230424.txt] [rounds=3] [max_tokens=128] [n=1,4,8]
 *   [choice_tokens=32]
 * </pre>
 */
public final class ConstrainedDecodeBench {

  private static final List<String> FORMATS =
      List.of(
          "json_object",
          """
          {"type": "object", "additionalProperties": false,
           "required": ["name", "age", "email", "active"],
           "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                          "email": {"type": ["string", "null"]}, "active": {"type": "boolean"}}}
          """,
          """
          {"type": "object", "additionalProperties": false, "required": ["lines"],
           "properties": {"lines": {"type": "array", "items": {"type": "object",
             "additionalProperties": false, "required": ["sku", "qty", "price"],
             "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"},
                            "price": {"type": "number"}}}}}}
          """,
          """
          {"type": "object", "additionalProperties": false, "required": ["steps", "final_answer"],
           "properties": {
             "steps": {"type": "array", "items": {"type": "object",
               "additionalProperties": false, "required": ["explanation", "output"],
               "properties": {"explanation": {"type": "string"}, "output": {"type": "string"}}}},
             "final_answer": {"type": "string", "enum": ["yes", "no", "maybe"]}}}
          """);

  private ConstrainedDecodeBench() {}

  /** A constraint that times its masks and accepts. */
  private static final class TimedConstraint implements TokenConstraint {
    private final TokenConstraint inner;
    private final Totals totals;

    TimedConstraint(final TokenConstraint inner, final Totals totals) {
      this.inner = inner;
      this.totals = totals;
    }

    @Override
    public void apply(final float[] logits, final int remaining) {
      final long t0 = System.nanoTime();
      inner.apply(logits, remaining);
      totals.maskNanos += System.nanoTime() - t0;
      totals.masks++;
    }

    @Override
    public void accept(final int token) {
      final long t0 = System.nanoTime();
      inner.accept(token);
      totals.acceptNanos += System.nanoTime() - t0;
    }

    @Override
    public boolean complete() {
      return inner.complete();
    }

    @Override
    public int tokensToComplete() {
      return inner.tokensToComplete();
    }

    @Override
    public TokenConstraint copy() {
      return new TimedConstraint(inner.copy(), totals);
    }
  }

  /** Sums of one round and mode. */
  private static final class Totals {
    long decodeNanos;
    long decodes;
    long maskNanos;
    long masks;
    long acceptNanos;
    long drawNanos;
    long tokens;
    long walks;
  }

  public static void main(final String[] args) {
    final Map<String, String> a = parse(args);
    final String modelName = a.getOrDefault("model", "L12-D768");
    final WeightPrecision precision =
        WeightPrecision.valueOf(a.getOrDefault("precision", "bf16").toUpperCase(Locale.ROOT));
    final int rounds = Integer.parseInt(a.getOrDefault("rounds", "3"));
    final int maxTokens = Integer.parseInt(a.getOrDefault("max_tokens", "128"));
    final int choiceTokens = Integer.parseInt(a.getOrDefault("choice_tokens", "32"));
    final int[] ns =
        Arrays.stream(a.getOrDefault("n", "1,4,8").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();
    final Path vocab =
        Path.of(
            a.getOrDefault(
                "vocab",
                Path.of(System.getenv().getOrDefault("FINCHSTREAM_SHARED", "../shared"))
                    .resolve("data")
                    .resolve(WorldTokenizer.VOCAB_FILE_NAME)
                    .toString()));
    final int threads = Runtime.getRuntime().availableProcessors();
    final LanguageModel model =
        BenchModels.load(modelName, precision, threads, LoadOptions.DEFAULT_MAX_ROWS);
    final Tokenizer tokenizer = WorldTokenizer.load(vocab);
    final long t0 = System.nanoTime();
    final TokenTable table = TokenTable.of(tokenizer);
    System.out.printf(
        Locale.ROOT,
        "# constrained decode: %s %s, %d threads, %s; token table %d nodes in %.0f ms%n",
        modelName,
        precision.label(),
        threads,
        Runtime.version(),
        table.nodes(),
        (System.nanoTime() - t0) / 1e6);
    final List<TokenGrammar> warm = new ArrayList<>();
    for (final String f : FORMATS) {
      warm.add(new TokenGrammar(grammar(f), table));
    }
    System.out.println(
        "| round | masks | trie walks per mask | decode ms/token | sampler µs/token | mask µs/token"
            + " | accept µs/token | mask ÷ decode |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|---:|");
    final List<double[]> warmRatios = new ArrayList<>();
    final List<double[]> coldRatios = new ArrayList<>();
    for (int round = 0; round <= rounds; round++) {
      final Totals cached = new Totals();
      final Totals uncached = new Totals();
      for (int f = 0; f < FORMATS.size(); f++) {
        final TokenGrammar cold = new TokenGrammar(warm.get(f).grammar(), table, 0);
        final long walksBefore = warm.get(f).walks();
        for (int s = 0; s < 2; s++) {
          final long seed = 1000L * round + 10L * f + s;
          run(model, tokenizer, warm.get(f), seed, maxTokens, cached);
          run(model, tokenizer, cold, seed, maxTokens, uncached);
        }
        cached.walks += warm.get(f).walks() - walksBefore;
        uncached.walks += cold.walks();
      }
      if (round > 0) {
        warmRatios.add(report(round, "cached", cached));
        coldRatios.add(report(round, "uncached", uncached));
      }
    }
    summary("cached", warmRatios);
    summary("uncached", coldRatios);
    choices(model, tokenizer, ns, rounds, choiceTokens);
  }

  private static JsonGrammar grammar(final String format) {
    return format.equals("json_object")
        ? JsonGrammar.anyObject()
        : JsonGrammar.fromSchema(format, true);
  }

  /** One constrained generation, timed into {@code totals}. */
  private static void run(
      final LanguageModel model,
      final Tokenizer tokenizer,
      final TokenGrammar grammar,
      final long seed,
      final int maxTokens,
      final Totals totals) {
    final ModelState state = model.newState();
    model.ingest(List.of(state), List.of(tokenizer.encode("Answer in JSON.\n")));
    final float[][] logits = new float[1][model.info().vocabSize()];
    model.logits(List.of(state), logits);
    final Generation g =
        new Generation(
            tokenizer,
            SamplingParams.builder().seed(seed).maxTokens(maxTokens).build(),
            new TimedConstraint(grammar.newConstraint(), totals));
    final Sampler sampler = new Sampler();
    while (!g.ended()) {
      final long d0 = System.nanoTime();
      final int token = g.sample(sampler, logits[0]);
      totals.drawNanos += System.nanoTime() - d0;
      g.accept(token);
      totals.tokens++;
      if (!g.ended()) {
        final long s0 = System.nanoTime();
        model.step(List.of(state), new int[] {token}, logits);
        totals.decodeNanos += System.nanoTime() - s0;
        totals.decodes++;
      }
    }
    if (g.finish() != Generation.Finish.STOP) {
      throw new IllegalStateException("a constrained generation ended by " + g.finish());
    }
  }

  /** Prints one row; returns {mask µs, decode ms, ratio}. */
  private static double[] report(final int round, final String label, final Totals t) {
    final double decodeMs = t.decodeNanos / 1e6 / t.decodes;
    final double maskUs = t.maskNanos / 1e3 / t.masks;
    final double samplerUs = (t.drawNanos - t.maskNanos) / 1e3 / t.tokens;
    final double acceptUs = t.acceptNanos / 1e3 / t.tokens;
    final double ratio = maskUs / 1e3 / decodeMs;
    System.out.printf(
        Locale.ROOT,
        "| %d | %s | %.3f | %.2f | %.0f | %.1f | %.1f | %.4f |%n",
        round,
        label,
        (double) t.walks / t.masks,
        decodeMs,
        samplerUs,
        maskUs,
        acceptUs,
        ratio);
    return new double[] {maskUs, decodeMs, ratio};
  }

  private static void summary(final String label, final List<double[]> rows) {
    System.out.printf(
        Locale.ROOT,
        "# %s masks, median over %d rounds: mask %.1f µs/token, decode %.2f ms/token, mask ÷ decode"
            + " %.4f (%.2f %%)%n",
        label,
        rows.size(),
        median(rows, 0),
        median(rows, 1),
        median(rows, 2),
        100 * median(rows, 2));
  }

  /** {@code n} choices of one prompt, one batched step per token, against {@code n = 1}. */
  private static void choices(
      final LanguageModel model,
      final Tokenizer tokenizer,
      final int[] ns,
      final int rounds,
      final int tokens) {
    System.out.println("| round | n | ms per step | tokens/s (all choices) | tokens/s ÷ (n = 1) |");
    System.out.println("|---|---:|---:|---:|---:|");
    final double[][] speedups = new double[ns.length][rounds];
    for (int round = 0; round <= rounds; round++) {
      double single = 0;
      for (int k = 0; k < ns.length; k++) {
        final ModelState prompt = model.newState();
        model.ingest(List.of(prompt), List.of(tokenizer.encode("Once upon a time")));
        final SamplingParams params =
            SamplingParams.builder()
                .seed(round)
                .maxTokens(tokens)
                .logitBias(Map.of(Tokenizer.END_OF_TEXT, -100.0))
                .build();
        final Choices c = new Choices(model, tokenizer, prompt, params, ns[k], null);
        final Sampler sampler = new Sampler();
        long generated = 0;
        int steps = 0;
        final long t0 = System.nanoTime();
        while (!c.done()) {
          generated += c.step(sampler).size();
          steps++;
        }
        final double seconds = (System.nanoTime() - t0) / 1e9;
        final double perSecond = generated / seconds;
        if (k == 0) {
          single = perSecond;
        }
        if (round > 0) {
          speedups[k][round - 1] = perSecond / single;
          System.out.printf(
              Locale.ROOT,
              "| %d | %d | %.1f | %.1f | %.2f |%n",
              round,
              ns[k],
              1e3 * seconds / steps,
              perSecond,
              perSecond / single);
        }
      }
    }
    for (int k = 0; k < ns.length; k++) {
      final double[] s = speedups[k].clone();
      Arrays.sort(s);
      System.out.printf(
          Locale.ROOT,
          "# n = %d: tokens/s %.2f × n = 1 (median over %d rounds)%n",
          ns[k],
          s[s.length / 2],
          s.length);
    }
  }

  private static double median(final List<double[]> rows, final int column) {
    final double[] v = rows.stream().mapToDouble(r -> r[column]).sorted().toArray();
    final int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  private static Map<String, String> parse(final String[] args) {
    final Map<String, String> out = new HashMap<>();
    for (final String arg : args) {
      final int eq = arg.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("arguments are key=value, got " + arg);
      }
      out.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    return out;
  }
}
