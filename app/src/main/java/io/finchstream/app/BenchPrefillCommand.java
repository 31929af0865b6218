package io.finchstream.app;

import io.finchstream.engine.LanguageModel;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code finchstream bench prefill}: per-token cost of ingesting and of generating against the
 * context length ({@link ContextLengthBenchmark}). For GoldFinch, ingest runs only the Finch-C2
 * blocks, the compression and the cache append, so it stays flat; generation attends over the whole
 * context in the GOLD layers, so it grows linearly.
 */
@Command(
    name = "prefill",
    mixinStandardHelpOptions = true,
    description = {
      "Measure, for each context length, the time per token of ingesting more tokens and of generating",
      "tokens. With --json, print one line per context:",
      "  {\"context\": N, \"ingest_us_per_token\": X, \"generate_us_per_token\": Y}",
      "Plot with load-tests' PrefillPlot (see docs/BENCHMARKS.md). Run on an otherwise idle machine."
    })
final class BenchPrefillCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ModelOptions modelOptions;

  @Option(
      names = "--context",
      required = true,
      split = ",",
      paramLabel = "N",
      description = "Context lengths in tokens, e.g. 1000,16000,100000.")
  long[] contexts;

  @Option(
      names = "--ingest-tokens",
      defaultValue = "64",
      paramLabel = "M",
      description = "Tokens ingested (one call each) per measurement. Default: ${DEFAULT-VALUE}.")
  int ingestTokens;

  @Option(
      names = "--generate-tokens",
      defaultValue = "16",
      paramLabel = "K",
      description = "Tokens generated per measurement. Default: ${DEFAULT-VALUE}.")
  int generateTokens;

  @Option(
      names = "--repeats",
      defaultValue = "3",
      paramLabel = "R",
      description =
          "Repetitions per measurement; the median is reported. Default: ${DEFAULT-VALUE}.")
  int repeats;

  @Option(names = "--json", description = "One JSON object per context on stdout, nothing else.")
  boolean json;

  @Override
  public Integer call() {
    for (final long c : contexts) {
      if (c < 1) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--context values must be >= 1, got " + c);
      }
    }
    if (ingestTokens < 1 || generateTokens < 1 || repeats < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--ingest-tokens, --generate-tokens and --repeats must be >= 1");
    }
    final PrintWriter out = spec.commandLine().getOut();
    final PrintWriter err = spec.commandLine().getErr();
    final LanguageModel model = modelOptions.load(err);
    if (!json) {
      out.println(
          String.format(
              Locale.ROOT,
              "%s model %s, %d layers, dim %d; kernels: %s",
              model.info().architecture(),
              modelOptions.model.getFileName(),
              model.info().layers(),
              model.info().dim(),
              model.info().details().getOrDefault("kernels", "?")));
      out.println(
          String.format(
              Locale.ROOT, "%12s %22s %24s", "context", "ingest µs/token", "generate µs/token"));
      out.flush();
    }
    final List<ContextLengthBenchmark.Result> results =
        new ContextLengthBenchmark(model, ingestTokens, generateTokens, repeats)
            .run(
                contexts,
                r -> {
                  out.println(
                      json
                          ? String.format(
                              Locale.ROOT,
                              "{\"context\": %d, \"ingest_us_per_token\": %.1f, \"generate_us_per_token\": %.1f}",
                              r.context(),
                              r.ingestUsPerToken(),
                              r.generateUsPerToken())
                          : String.format(
                              Locale.ROOT,
                              "%12d %22.1f %24.1f",
                              r.context(),
                              r.ingestUsPerToken(),
                              r.generateUsPerToken()));
                  out.flush();
                },
                message -> {
                  err.println("bench: " + message);
                  err.flush();
                });
    if (!json && results.size() > 1) {
      final ContextLengthBenchmark.Result first = results.get(0);
      final ContextLengthBenchmark.Result last = results.get(results.size() - 1);
      out.println(
          String.format(
              Locale.ROOT,
              "from %d to %d tokens of context: ingest x%.2f, generate x%.2f",
              first.context(),
              last.context(),
              last.ingestUsPerToken() / first.ingestUsPerToken(),
              last.generateUsPerToken() / first.generateUsPerToken()));
      out.flush();
    }
    return 0;
  }
}
