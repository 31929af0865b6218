package io.finchstream.loadtests.gateway;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.Models;
import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.engine.tokenizer.Tokenizers;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The engine's cost of a chat turn's first token, without any service around it: a fresh state
 * ingests the turn's prompt (the user message of {@link Prompts} in the chat format, then {@code
 * Assistant:}) and computes the first token's logits. This is "one prefill of the prompt", the
 * floor of the time to first token the gateway load measures; the median of {@code --repeats} after
 * a warm-up.
 *
 * <p>Usage: {@code PrefillProbe --model FILE [--vocab FILE] [--precision fp32|bf16] [--threads N]
 * [--prompt-bytes 64] [--repeats 30]}.
 */
public final class PrefillProbe {

  private PrefillProbe() {}

  public static void main(final String[] args) {
    Path model = null;
    Path vocab = null;
    String precision = "fp32";
    int threads = 0;
    int promptBytes = 64;
    int repeats = 30;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--model" -> model = Path.of(args[i + 1]);
        case "--vocab" -> vocab = Path.of(args[i + 1]);
        case "--precision" -> precision = args[i + 1];
        case "--threads" -> threads = Integer.parseInt(args[i + 1]);
        case "--prompt-bytes" -> promptBytes = Integer.parseInt(args[i + 1]);
        case "--repeats" -> repeats = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (model == null) {
      System.err.println(
          "usage: PrefillProbe --model FILE [--vocab FILE] [--precision fp32|bf16] [--threads N]"
              + " [--prompt-bytes 64] [--repeats 30]");
      System.exit(2);
      return;
    }
    LoadOptions options =
        LoadOptions.defaults()
            .withPrecision(precision.equals("bf16") ? WeightPrecision.BF16 : WeightPrecision.FP32);
    if (threads > 0) {
      options = options.withThreads(threads);
    }
    final LanguageModel lm = Models.load(model, options);
    final Tokenizer tokenizer = Tokenizers.forModel(lm.info().vocabSize(), vocab);
    final Prompts prompts = new Prompts(1, promptBytes);
    final float[][] logits = new float[1][lm.info().vocabSize()];
    final double[] ms = new double[repeats];
    int tokens = 0;
    for (int r = -5; r < repeats; r++) {
      // what a chat turn appends before its first token (events.proto Role, Generate prefix_text)
      final int[] prompt = tokenizer.encode("User: " + prompts.next() + "\n\nAssistant:");
      final ModelState state = lm.newState();
      final long t0 = System.nanoTime();
      lm.ingest(List.of(state), List.of(prompt));
      lm.logits(List.of(state), logits);
      final long t1 = System.nanoTime();
      if (r >= 0) {
        ms[r] = (t1 - t0) / 1e6;
        tokens += prompt.length;
      }
    }
    Arrays.sort(ms);
    System.out.printf(
        Locale.ROOT,
        "one prefill of a %d-byte prompt (%.1f tokens on average) + first logits: median %.1f ms"
            + " [min %.1f, max %.1f] over %d repeats (%s)%n",
        promptBytes,
        tokens / (double) repeats,
        ms[repeats / 2],
        ms[0],
        ms[repeats - 1],
        repeats,
        model.getFileName());
  }
}
