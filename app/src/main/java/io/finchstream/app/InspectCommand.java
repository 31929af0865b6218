package io.finchstream.app;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelInfo;
import io.finchstream.engine.Models;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.CheckpointTensor;
import io.finchstream.engine.io.Checkpoints;
import io.finchstream.engine.io.DType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code finchstream inspect}: what a checkpoint holds: architecture, sizes, parameter count,
 * stored dtypes, the in-memory footprint and the state bytes per conversation.
 */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = {
      "Load a model and describe it: architecture, shapes, parameter count, dtypes, weight bytes",
      "and the state bytes each conversation needs."
    })
final class InspectCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ModelOptions modelOptions;

  @Option(
      names = "--tensors",
      description = "Also list every tensor with its canonical shape and stored dtype.")
  boolean tensors;

  @Override
  public Integer call() throws IOException {
    final PrintWriter out = spec.commandLine().getOut();
    final PrintWriter err = spec.commandLine().getErr();
    final long fileBytes = Files.size(modelOptions.model);
    try (Checkpoint checkpoint = Checkpoints.open(modelOptions.model, TerminalProgress.on(err))) {
      final Map<DType, Integer> dtypes = new EnumMap<>(DType.class);
      for (final String name : checkpoint.names()) {
        dtypes.merge(checkpoint.tensor(name).storedType(), 1, Integer::sum);
      }
      final LanguageModel model = Models.fromCheckpoint(checkpoint, modelOptions.loadOptions(err));
      final ModelInfo info = model.info();
      line(
          out,
          "file",
          modelOptions.model + " (" + bytes(fileBytes) + ", " + checkpoint.format() + ")");
      line(out, "architecture", info.architecture());
      line(out, "id", info.id());
      line(out, "layers (L)", Integer.toString(info.layers()));
      line(out, "dim (C)", Integer.toString(info.dim()));
      line(out, "vocab (V)", Integer.toString(info.vocabSize()));
      for (final Map.Entry<String, String> e : info.details().entrySet()) {
        line(out, e.getKey(), e.getValue());
      }
      line(
          out,
          "parameters",
          String.format(Locale.ROOT, "%,d (%.3f G)", info.parameters(), info.parameters() / 1e9));
      line(
          out,
          "stored dtypes",
          dtypes.entrySet().stream()
              .map(e -> e.getKey() + " x" + e.getValue())
              .reduce((a, b) -> a + ", " + b)
              .orElse("none"));
      line(out, "weights in memory", info.weightPrecision());
      line(
          out,
          "state per conversation",
          String.format(Locale.ROOT, "%,d bytes (fp32)", info.recurrentStateBytes()));
      if (info.cacheBytesPerToken() > 0) {
        line(out, "cache per token", info.cacheBytesPerToken() + " bytes");
      }
      if (tensors) {
        out.println();
        for (final String name : checkpoint.names()) {
          final CheckpointTensor t = checkpoint.tensor(name);
          out.println(
              String.format(
                  Locale.ROOT,
                  "  %-44s %-20s %s",
                  name,
                  Arrays.toString(t.shape()),
                  t.storedType()));
        }
      }
    }
    out.flush();
    return 0;
  }

  private static void line(final PrintWriter out, final String key, final String value) {
    out.println(String.format(Locale.ROOT, "%-38s %s", key + ":", value));
  }

  private static String bytes(final long n) {
    return n >= 1L << 30
        ? String.format(Locale.ROOT, "%.2f GiB", n / (double) (1L << 30))
        : String.format(Locale.ROOT, "%.2f MiB", n / (double) (1L << 20));
  }
}
