package io.finchstream.app;

import io.finchstream.processors.LoadedModel;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code finchstream bench batching}: service throughput against the raw engine, same model, same
 * run.
 */
@Command(
    name = "batching",
    mixinStandardHelpOptions = true,
    description = {
      "Throughput of the service (conversations batched per engine call, through an embedded Kafka with",
      "exactly-once) against the raw engine doing the same work with the same batches, in the same run:",
      "prefill and greedy decode, tokens/s and the ratio (goal >= 0.9). Run on an otherwise idle machine."
    })
final class BenchBatchingCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ServedModelOptions modelOptions;

  @Option(
      names = "--conversations",
      defaultValue = "16",
      paramLabel = "K",
      description = "Concurrent conversations. Default: ${DEFAULT-VALUE}.")
  int conversations;

  @Option(
      names = "--prefill-tokens",
      defaultValue = "512",
      paramLabel = "P",
      description = "Prompt tokens per conversation. Default: ${DEFAULT-VALUE}.")
  int prefillTokens;

  @Option(
      names = "--generate-tokens",
      defaultValue = "256",
      paramLabel = "G",
      description = "Tokens generated per conversation. Default: ${DEFAULT-VALUE}.")
  int generateTokens;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Processor settings, e.g. batch.max.conversations=64.")
  Map<String, String> settings = new HashMap<>();

  @Override
  public Integer call() throws Exception {
    if (conversations < 1 || prefillTokens < 1 || generateTokens < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--conversations, --prefill-tokens and --generate-tokens must be >= 1");
    }
    final PrintWriter out = spec.commandLine().getOut();
    final LoadedModel model = modelOptions.load(spec.commandLine().getErr());
    out.println(
        String.format(
            Locale.ROOT,
            "%s: %d conversations, %d prompt + %d generated tokens each",
            modelOptions.describe(model),
            conversations,
            prefillTokens,
            generateTokens));
    out.flush();
    final BatchingBenchmark.Result r =
        new BatchingBenchmark(
                model, conversations, prefillTokens, generateTokens, Map.copyOf(settings))
            .run();
    out.println(
        String.format(
            Locale.ROOT, "%-8s %16s %16s %8s", "", "raw tokens/s", "service tokens/s", "ratio"));
    out.println(
        String.format(
            Locale.ROOT,
            "%-8s %16.1f %16.1f %8.3f",
            "prefill",
            r.rawPrefill(),
            r.servicePrefill(),
            r.servicePrefill() / r.rawPrefill()));
    out.println(
        String.format(
            Locale.ROOT,
            "%-8s %16.1f %16.1f %8.3f",
            "decode",
            r.rawDecode(),
            r.serviceDecode(),
            r.serviceDecode() / r.rawDecode()));
    for (final String phase :
        new String[] {"raw prefill", "service prefill", "raw decode", "service decode"}) {
      out.println(String.format(Locale.ROOT, "%-16s %s", phase + ":", r.cpu().get(phase)));
    }
    out.flush();
    return 0;
  }
}
