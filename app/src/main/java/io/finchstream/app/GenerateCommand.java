package io.finchstream.app;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.sampling.Generation;
import io.finchstream.engine.sampling.Sampler;
import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.engine.tokenizer.Tokenizers;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code finchstream generate}: ingests a prompt and streams the sampled continuation to stdout as
 * it is produced (never splitting a UTF-8 character). Statistics go to stderr.
 */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = "Ingest a prompt and stream the model's continuation to stdout.")
final class GenerateCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ModelOptions modelOptions;

  @Option(
      names = "--vocab",
      paramLabel = "FILE",
      description =
          "RWKV World vocab (rwkv_vocab_v20230424.txt); needed for 65536-token models, not for byte-level ones.")
  Path vocab;

  @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "The prompt.")
  String prompt;

  @Option(
      names = "--max-tokens",
      paramLabel = "N",
      defaultValue = "200",
      description = "Most tokens to generate. Default: ${DEFAULT-VALUE}.")
  int maxTokens;

  @Option(
      names = "--temperature",
      paramLabel = "T",
      defaultValue = "1.0",
      description = "Softmax temperature; 0 = greedy. Default: ${DEFAULT-VALUE}.")
  double temperature;

  @Option(
      names = "--top-p",
      paramLabel = "P",
      defaultValue = "1.0",
      description = "Nucleus sampling mass in (0, 1]; 1 = off. Default: ${DEFAULT-VALUE}.")
  double topP;

  @Option(
      names = "--top-k",
      paramLabel = "K",
      defaultValue = "0",
      description = "Keep the K most likely tokens; 0 = off. Default: ${DEFAULT-VALUE}.")
  int topK;

  @Option(
      names = "--min-p",
      paramLabel = "P",
      defaultValue = "0",
      description =
          "Drop tokens below P x the top probability; 0 = off. Default: ${DEFAULT-VALUE}.")
  double minP;

  @Option(
      names = "--repetition-penalty",
      paramLabel = "R",
      defaultValue = "1.0",
      description = "Penalise generated tokens (>= 1; 1 = off). Default: ${DEFAULT-VALUE}.")
  double repetitionPenalty;

  @Option(
      names = "--presence-penalty",
      paramLabel = "X",
      defaultValue = "0",
      description =
          "Subtract X once from generated tokens' logits, in [-2, 2]. Default: ${DEFAULT-VALUE}.")
  double presencePenalty;

  @Option(
      names = "--frequency-penalty",
      paramLabel = "X",
      defaultValue = "0",
      description =
          "Subtract X per occurrence from generated tokens' logits, in [-2, 2]. Default: ${DEFAULT-VALUE}.")
  double frequencyPenalty;

  @Option(
      names = "--stop",
      paramLabel = "TEXT",
      description = "Stop string (repeatable); not printed.")
  List<String> stop = List.of();

  @Option(
      names = "--seed",
      paramLabel = "S",
      description =
          "Sampler seed: the same seed gives the same text. Default: random (printed on stderr).")
  Long seed;

  @Override
  public Integer call() {
    final PrintWriter out = spec.commandLine().getOut();
    final PrintWriter err = spec.commandLine().getErr();
    final long chosenSeed = seed != null ? seed : ThreadLocalRandom.current().nextLong();
    final SamplingParams params =
        SamplingParams.builder()
            .temperature(temperature)
            .topP(topP)
            .topK(topK)
            .minP(minP)
            .repetitionPenalty(repetitionPenalty)
            .presencePenalty(presencePenalty)
            .frequencyPenalty(frequencyPenalty)
            .stopStrings(stop)
            .maxTokens(maxTokens)
            .seed(chosenSeed)
            .build()
            .validate();

    final LanguageModel model = modelOptions.load(err);
    final Tokenizer tokenizer = Tokenizers.forModel(model.info().vocabSize(), vocab);
    final int[] promptTokens = tokenizer.encode(prompt);
    if (promptTokens.length == 0) {
      throw new IllegalArgumentException("--prompt is empty: give the model some text to continue");
    }

    final long started = System.nanoTime();
    final ModelState state = model.newState();
    model.ingest(List.of(state), List.of(promptTokens));
    final float[][] logits = new float[1][model.info().vocabSize()];
    model.logits(List.of(state), logits);
    final long prefilled = System.nanoTime();

    final Generation reply = new Generation(tokenizer, params);
    final Sampler sampler = new Sampler();
    while (!reply.ended()) {
      final int token = reply.sample(sampler, logits[0]);
      out.print(reply.accept(token));
      out.flush();
      if (!reply.ended()) {
        model.step(List.of(state), new int[] {token}, logits);
      }
    }
    out.println();
    out.flush();
    final long done = System.nanoTime();
    err.printf(
        "[%d prompt tokens in %.1f ms; %d generated at %.1f tokens/s; finish: %s; seed %d]%n",
        promptTokens.length,
        (prefilled - started) / 1e6,
        reply.generated(),
        reply.generated() / Math.max(1e-9, (done - prefilled) / 1e9),
        reply.finish() == null ? "none" : reply.finish().name().toLowerCase(Locale.ROOT),
        chosenSeed);
    err.flush();
    return 0;
  }
}
