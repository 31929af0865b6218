package io.finchstream.app;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.Models;
import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.kernels.KernelKind;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options of every command that loads a model ({@code --model}, precision, threads, kernels).
 */
final class ModelOptions {

  @Option(
      names = "--model",
      required = true,
      paramLabel = "FILE",
      description =
          "Checkpoint file: RWKV .pth, safetensors or rwkv.cpp ggml (recognised by content).")
  Path model;

  @Option(
      names = "--precision",
      paramLabel = "P",
      defaultValue = "fp32",
      description =
          "In-memory weight precision: fp32, bf16 (half the memory and bytes per token) or int8 (linear layers"
              + " as Q8_0: about a quarter; read as stored from rwkv.cpp Q8_0 files). Default: ${DEFAULT-VALUE}.")
  WeightPrecision precision;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "Compute threads (default: all available processors).")
  Integer threads;

  @Option(
      names = "--kernels",
      paramLabel = "K",
      defaultValue = "auto",
      description =
          "Kernels: auto, scalar, vector (the machine's width) or vector_128, vector_256, vector_512;"
              + " all compute the same bits. Default: ${DEFAULT-VALUE}.")
  KernelKind kernels;

  @Option(
      names = "--cache-precision",
      paramLabel = "P",
      defaultValue = "bf16",
      description =
          "GoldFinch: precision of the derived key/value cache of the GOLD layers in memory, bf16 or fp32"
              + " (exact; twice the memory and the bytes attention reads). Default: ${DEFAULT-VALUE}.")
  StatePrecision cachePrecision;

  /** The load options, reporting progress on {@code err}. */
  LoadOptions loadOptions(final PrintWriter err) {
    LoadOptions options =
        LoadOptions.defaults()
            .withPrecision(precision)
            .withKernels(kernels)
            .withCachePrecision(cachePrecision)
            .withProgress(TerminalProgress.on(err));
    if (threads != null) {
      if (threads < 1) {
        throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
      }
      options = options.withThreads(threads);
    }
    return options;
  }

  /** Loads the model, showing progress on {@code err} for big files. */
  LanguageModel load(final PrintWriter err) {
    return Models.load(model, loadOptions(err));
  }
}
