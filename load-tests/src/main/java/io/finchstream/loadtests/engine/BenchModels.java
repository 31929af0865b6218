package io.finchstream.loadtests.engine;

import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.finch.FinchConfig;
import io.finchstream.engine.finch.FinchLayout;
import io.finchstream.engine.finch.FinchModel;
import io.finchstream.engine.finch.FinchRandom;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.Checkpoints;
import io.finchstream.engine.io.DType;
import io.finchstream.engine.io.LoadProgress;
import io.finchstream.engine.io.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * The random Finch models of the benchmarks ("L12-D768", "L24-D2048", vocab 65536, head size 64),
 * written once as bf16 safetensors under {@code -Dfinchstream.bench.models} (default {@code
 * load-tests/target/bench-models}) and loaded from there.
 */
final class BenchModels {

  static final int VOCAB = 65536;

  private BenchModels() {}

  /** The sizes of a model named {@code L<layers>-D<dim>}. */
  static FinchConfig config(final String name) {
    final String[] parts = name.toUpperCase(Locale.ROOT).split("-", -1);
    if (parts.length != 2 || !parts[0].startsWith("L") || !parts[1].startsWith("D")) {
      throw new IllegalArgumentException("benchmark model names look like L12-D768, got " + name);
    }
    return FinchConfig.standard(
        Integer.parseInt(parts[0].substring(1)),
        Integer.parseInt(parts[1].substring(1)),
        64,
        VOCAB);
  }

  /** The model file, generated on first use. */
  static synchronized Path file(final String name) {
    final Path dir =
        Path.of(System.getProperty("finchstream.bench.models", "load-tests/target/bench-models"));
    final Path file = dir.resolve("finch-" + name + "-V" + VOCAB + "-seed1-bf16.safetensors");
    if (!Files.exists(file)) {
      try {
        Files.createDirectories(dir);
      } catch (final IOException e) {
        throw new UncheckedIOException(e);
      }
      final FinchConfig config = config(name);
      System.err.println("generating random model " + config + " into " + file + " (once)");
      SafetensorsWriter.write(
          file,
          FinchRandom.checkpoint(config, 1),
          DType.BF16,
          Map.of(
              "finchstream.generator",
              "load-tests BenchModels",
              "finchstream.config",
              config.toString()));
    }
    return file;
  }

  /** The model loaded at that precision on {@code threads} threads. */
  static FinchModel load(
      final String name, final WeightPrecision precision, final int threads, final int maxRows) {
    try (Checkpoint checkpoint = Checkpoints.open(file(name), LoadProgress.NONE)) {
      return FinchModel.load(
          checkpoint,
          LoadOptions.defaults()
              .withPrecision(precision)
              .withThreads(threads)
              .withMaxRowsPerPass(maxRows));
    }
  }

  /** Parameter count of a benchmark model. */
  static long parameters(final String name) {
    return FinchLayout.tensors(config(name)).values().stream()
        .mapToLong(s -> Arrays.stream(s).reduce(1, (a, b) -> a * b))
        .sum();
  }

  /**
   * Weight bytes a decode step with logits reads per token: everything but the embedding table, the
   * matrices at the precision (for INT8: the linear layers at 1 + 2/32 bytes per weight, the head
   * and the LoRAs at bf16's 2), the vectors in float32.
   */
  static double bytesPerDecodedToken(final String name, final WeightPrecision precision) {
    double bytes = 0;
    for (final Map.Entry<String, long[]> t : FinchLayout.tensors(config(name)).entrySet()) {
      final String tensor = t.getKey();
      final long n = Arrays.stream(t.getValue()).reduce(1, (a, b) -> a * b);
      final boolean matrix =
          Arrays.stream(t.getValue()).filter(d -> d > 1).count() >= 2
              && !tensor.endsWith("time_faaaa");
      if (tensor.equals("emb.weight")) {
        continue;
      }
      if (!matrix) {
        bytes += 4.0 * n;
      } else if (precision == WeightPrecision.FP32) {
        bytes += 4.0 * n;
      } else if (precision == WeightPrecision.INT8
          && tensor.endsWith(".weight")
          && !tensor.equals("head.weight")) {
        bytes += n * (1 + 2.0 / 32);
      } else {
        bytes += 2.0 * n;
      }
    }
    return bytes;
  }

  /** Flops per decoded token: a prefilled token's plus the head (2 per head weight). */
  static double flopsPerDecodedToken(final String name) {
    final FinchConfig c = config(name);
    return flopsPerPrefilledToken(name) + 2.0 * c.vocabSize() * c.dim();
  }

  /**
   * Multiply-add flops per prefilled token (no head): 2 per matrix weight except emb and head, plus
   * WKV.
   */
  static double flopsPerPrefilledToken(final String name) {
    final FinchConfig c = config(name);
    final long embAndHead = 2L * c.vocabSize() * c.dim();
    final double wkv = 6.0 * c.layers() * c.dim() * c.headSize();
    return 2.0 * (parameters(name) - embAndHead) + wkv;
  }
}
