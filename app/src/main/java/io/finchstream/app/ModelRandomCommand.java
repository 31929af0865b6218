package io.finchstream.app;

import io.finchstream.engine.finch.FinchConfig;
import io.finchstream.engine.finch.FinchRandom;
import io.finchstream.engine.goldfinch.GoldFinchConfig;
import io.finchstream.engine.goldfinch.GoldFinchRandom;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.DType;
import io.finchstream.engine.io.safetensors.SafetensorsWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code finchstream model random}: writes a seeded random-weight checkpoint (safetensors,
 * canonical .pth names and shapes) for tests and benchmarks.
 */
@Command(
    name = "random",
    mixinStandardHelpOptions = true,
    description = {
      "Write a seeded random-weight model as safetensors (canonical RWKV .pth names), with realistic",
      "scales: for tests and benchmarks. Same options and seed give the same file."
    })
final class ModelRandomCommand implements Callable<Integer> {

  /** Output dtypes of the file. */
  enum FileDType {
    F32,
    BF16
  }

  @Spec CommandSpec spec;

  @Option(
      names = "--arch",
      defaultValue = "finch",
      paramLabel = "ARCH",
      description =
          "Architecture: finch or goldfinch (2/3 Finch-C2 + 1/3 GOLD blocks). Default: ${DEFAULT-VALUE}.")
  String arch;

  @Option(names = "--layers", required = true, paramLabel = "L", description = "Number of blocks.")
  int layers;

  @Option(
      names = "--dim",
      required = true,
      paramLabel = "C",
      description = "Embedding width (multiple of the head size).")
  int dim;

  @Option(
      names = "--vocab",
      required = true,
      paramLabel = "V",
      description = "Vocabulary size (65536 for the World tokenizer).")
  int vocab;

  @Option(
      names = "--head-size",
      defaultValue = "64",
      paramLabel = "N",
      description = "WKV head size. Default: ${DEFAULT-VALUE}.")
  int headSize;

  @Option(
      names = "--seed",
      defaultValue = "1",
      paramLabel = "S",
      description = "Random seed. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(
      names = "--dtype",
      defaultValue = "bf16",
      paramLabel = "T",
      description =
          "Stored dtype: f32 or bf16 (like the official checkpoints). Default: ${DEFAULT-VALUE}.")
  FileDType dtype;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "FILE",
      description = "Output .safetensors file (overwritten).")
  Path out;

  @Override
  public Integer call() {
    final boolean goldfinch = arch.equalsIgnoreCase("goldfinch");
    if (!arch.equalsIgnoreCase("finch") && !goldfinch) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--arch " + arch + " is not supported; supported: finch, goldfinch");
    }
    if (layers < 1 || dim < 1 || vocab < 1 || headSize < 1 || dim % headSize != 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "need --layers, --dim, --vocab, --head-size >= 1"
              + " and --dim a multiple of --head-size (got dim "
              + dim
              + ", head size "
              + headSize
              + ")");
    }
    final String description;
    final Checkpoint checkpoint;
    if (goldfinch) {
      if (layers < 2 || dim % 16 != 0) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "a GoldFinch model needs --layers >= 2"
                + " (Finch-C2 and GOLD blocks) and --dim a multiple of 16 (R = C/16), got "
                + layers
                + " x "
                + dim);
      }
      final GoldFinchConfig config = GoldFinchConfig.standard(layers, dim, headSize, vocab);
      description =
          config.finchLayers()
              + " Finch-C2 + "
              + config.goldLayers()
              + " GOLD, C="
              + dim
              + " N="
              + headSize
              + " F="
              + config.ffn()
              + " R="
              + config.compressed()
              + " V="
              + vocab;
      checkpoint = GoldFinchRandom.checkpoint(config, seed);
    } else {
      final FinchConfig config = FinchConfig.standard(layers, dim, headSize, vocab);
      description = config.toString();
      checkpoint = FinchRandom.checkpoint(config, seed);
    }
    final String archName = goldfinch ? "goldfinch" : "finch";
    final Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("format", "pt");
    metadata.put("finchstream.generator", "model random");
    metadata.put("finchstream.arch", archName);
    metadata.put("finchstream.config", description);
    metadata.put("finchstream.seed", Long.toString(seed));
    metadata.put(
        ServedModels.DESCRIPTION_KEY,
        "a seeded random " + archName + " model: not a language model, its replies are noise");
    SafetensorsWriter.write(
        out, checkpoint, dtype == FileDType.F32 ? DType.F32 : DType.BF16, metadata);
    long parameters = 0;
    for (final String name : checkpoint.names()) {
      parameters += checkpoint.tensor(name).numel();
    }
    spec.commandLine()
        .getOut()
        .println(
            String.format(
                Locale.ROOT,
                "wrote random %s model %s, %,d parameters, %s, to %s",
                archName,
                description,
                parameters,
                dtype.name().toLowerCase(Locale.ROOT),
                out));
    spec.commandLine().getOut().flush();
    return 0;
  }
}
