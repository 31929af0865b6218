package io.finchstream.app;

import io.finchstream.engine.LanguageModel;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code finchstream bench decode}: steady-state decode speed of any checkpoint ({@link
 * DecodeSpeed}).
 */
@Command(
    name = "decode",
    mixinStandardHelpOptions = true,
    description = {
      "Steady-state greedy decode: loads the model, warms up until three rounds agree within 5%%, then",
      "times --rounds rounds of --tokens steps and prints the median ms/token (one step: one token for",
      "each conversation of the batch) and tokens/s (all conversations). With --json, the last line is",
      "  {\"model\": ..., \"precision\": ..., \"batch\": N, \"ms_per_token\": X, \"tokens_per_second\": Y}",
      "so the engine can be compared with another one on the same file. Run on an otherwise idle machine."
    })
final class BenchDecodeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ModelOptions modelOptions;

  @Option(
      names = "--batch",
      defaultValue = "1",
      paramLabel = "N",
      description =
          "Conversations decoded together, one engine call per step. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(
      names = "--tokens",
      defaultValue = "32",
      paramLabel = "N",
      description = "Steps per timed round. Default: ${DEFAULT-VALUE}.")
  int tokens;

  @Option(
      names = "--rounds",
      defaultValue = "5",
      paramLabel = "R",
      description =
          "Timed rounds after the warm-up; the median is reported. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--json", description = "End with one JSON object on the last line.")
  boolean json;

  @Override
  public Integer call() {
    if (batch < 1 || tokens < 1 || rounds < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--batch, --tokens and --rounds must be >= 1");
    }
    final PrintWriter out = spec.commandLine().getOut();
    final PrintWriter err = spec.commandLine().getErr();
    final LanguageModel model = modelOptions.load(err);
    final String file = String.valueOf(modelOptions.model.getFileName());
    out.println(
        String.format(
            Locale.ROOT,
            "%s %s: %d layers, dim %d, %s weights; kernels %s; batch %d",
            model.info().architecture(),
            file,
            model.info().layers(),
            model.info().dim(),
            model.info().weightPrecision(),
            model.info().details().getOrDefault("kernels", "?"),
            batch));
    out.flush();
    final DecodeSpeed.Result r =
        new DecodeSpeed(model, batch, tokens, rounds)
            .run(
                message -> {
                  err.println("bench: " + message);
                  err.flush();
                });
    out.println(
        String.format(
            Locale.ROOT,
            "%.2f ms/token, %.1f tokens/s (median of %d rounds of %d steps, after %d warm-up rounds)",
            r.msPerToken(),
            r.tokensPerSecond(),
            rounds,
            tokens,
            r.warmUpRounds()));
    if (json) {
      out.println(
          String.format(
              Locale.ROOT,
              "{\"model\": \"%s\", \"precision\": \"%s\", \"batch\": %d, \"ms_per_token\": %.3f,"
                  + " \"tokens_per_second\": %.2f}",
              file.replace("\\", "\\\\").replace("\"", "\\\""),
              model.info().weightPrecision(),
              batch,
              r.msPerToken(),
              r.tokensPerSecond()));
    }
    out.flush();
    return 0;
  }
}
