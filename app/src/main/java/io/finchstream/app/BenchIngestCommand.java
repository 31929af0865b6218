package io.finchstream.app;

import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.LoadedModel;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.List;
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
 * {@code finchstream bench ingest}: ingest cost per token against conversation length, through
 * Kafka.
 */
@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    description = {
      "Through an embedded Kafka and the real processors (exactly-once): fill a conversation to each",
      "context length, append more tokens in events, and report per appended token the CPU time of the",
      "processors (stream thread), of the whole process (broker included), the state bytes written",
      "(= changelog payload, snapshots amortised) and the wall time; then the ratio of the longest",
      "context to the shortest. Run on an otherwise idle machine (docs/BENCHMARKS.md)."
    })
final class BenchIngestCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ServedModelOptions modelOptions;

  @Option(
      names = "--context",
      split = ",",
      defaultValue = "1000,100000",
      paramLabel = "N",
      description = "Context lengths in tokens. Default: ${DEFAULT-VALUE}.")
  long[] contexts;

  @Option(
      names = "--event-tokens",
      defaultValue = "64",
      paramLabel = "M",
      description = "Tokens per AppendTokens event. Default: ${DEFAULT-VALUE}.")
  int eventTokens;

  @Option(
      names = "--measure-tokens",
      defaultValue = "8192",
      paramLabel = "T",
      description =
          "Tokens appended per measurement (a multiple of snapshot.interval.tokens amortises snapshots evenly). Default: ${DEFAULT-VALUE}.")
  int measureTokens;

  @Option(
      names = "--repeats",
      defaultValue = "3",
      paramLabel = "R",
      description = "Measurements per context (median). Default: ${DEFAULT-VALUE}.")
  int repeats;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Processor settings, e.g. snapshot.interval.tokens=4096.")
  Map<String, String> settings = new HashMap<>();

  @Override
  public Integer call() throws Exception {
    if (eventTokens < 1 || measureTokens < 1 || repeats < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--event-tokens, --measure-tokens and --repeats must be >= 1");
    }
    final PrintWriter out = spec.commandLine().getOut();
    final LoadedModel model = modelOptions.load(spec.commandLine().getErr());
    final FinchstreamConfig defaults = new FinchstreamConfig(Map.copyOf(settings));
    out.println(
        String.format(
            Locale.ROOT,
            "%s, snapshot every %d tokens, %d tokens per event",
            modelOptions.describe(model),
            defaults.getInt(FinchstreamConfig.SNAPSHOT_INTERVAL_TOKENS_CONFIG),
            eventTokens));
    out.println(
        String.format(
            Locale.ROOT,
            "%10s %22s %22s %16s %16s",
            "context",
            "processors µs/token",
            "process µs/token",
            "bytes/token",
            "wall µs/token"));
    out.flush();
    final List<IngestBenchmark.Result> results =
        new IngestBenchmark(model, eventTokens, measureTokens, repeats, Map.copyOf(settings))
            .run(
                contexts,
                r -> {
                  out.println(
                      String.format(
                          Locale.ROOT,
                          "%10d %22.1f %22.1f %16.1f %16.1f",
                          r.context(),
                          r.processorCpuUsPerToken(),
                          r.processCpuUsPerToken(),
                          r.bytesPerToken(),
                          r.wallUsPerToken()));
                  out.flush();
                });
    final IngestBenchmark.Result first = results.get(0);
    final IngestBenchmark.Result last = results.get(results.size() - 1);
    out.println(
        String.format(
            Locale.ROOT,
            "ratio %d / %d: processors CPU %.3f, process CPU %.3f, bytes %.3f, wall %.3f (goal <= 1.1)",
            last.context(),
            first.context(),
            last.processorCpuUsPerToken() / first.processorCpuUsPerToken(),
            last.processCpuUsPerToken() / first.processCpuUsPerToken(),
            last.bytesPerToken() / first.bytesPerToken(),
            last.wallUsPerToken() / first.wallUsPerToken()));
    out.flush();
    return 0;
  }
}
