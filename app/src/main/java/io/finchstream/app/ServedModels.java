package io.finchstream.app;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.Models;
import io.finchstream.engine.goldfinch.GoldFinchConfig;
import io.finchstream.engine.goldfinch.GoldFinchRandom;
import io.finchstream.engine.io.DType;
import io.finchstream.engine.io.safetensors.SafetensorsWriter;
import io.finchstream.engine.tokenizer.ByteTokenizer;
import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.engine.tokenizer.Tokenizers;
import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.LoadedModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Loads the model a service serves, and makes the default random model of {@code finchstream up}.
 */
final class ServedModels {

  /**
   * The default model's sizes: GoldFinch, 6 blocks (4 Finch-C2 + 2 GOLD), C=256, byte vocabulary.
   */
  static final GoldFinchConfig DEFAULT_CONFIG =
      GoldFinchConfig.standard(6, 256, 64, ByteTokenizer.VOCAB_SIZE);

  static final long DEFAULT_SEED = 20_260_101L;
  static final String DEFAULT_FILE = "random-goldfinch-L6-C256-byte-vocab.safetensors";

  /** What people are told about the default model, every time it is used. */
  static final String DEFAULT_LABEL =
      "RANDOM GoldFinch (seeded random weights, byte vocabulary): NOT a language model, its replies are noise."
          + " Serve a real model with --model FILE.";

  private ServedModels() {}

  /**
   * The name clients use for {@code served} in the HTTP API: the model file's name without its
   * extension (the default random model's file name for it).
   */
  static String apiName(final LoadedModel served) {
    final String file = served.label().equals(DEFAULT_LABEL) ? DEFAULT_FILE : served.label();
    final int dot = file.lastIndexOf('.');
    return dot > 0 ? file.substring(0, dot) : file;
  }

  /** The World vocabulary file of a configuration ({@code tokenizer.vocab.path}), or null. */
  static Path vocab(final FinchstreamConfig config) {
    final String v = config.getString(FinchstreamConfig.TOKENIZER_VOCAB_CONFIG);
    return v.isBlank() ? null : Path.of(v);
  }

  /**
   * Loads {@code file} with the tokenizer of its vocabulary ({@code vocab}: the World vocab file,
   * if needed).
   */
  static LoadedModel load(final Path file, final Path vocab, final LoadOptions options) {
    final LanguageModel model = Models.load(file, options);
    final Tokenizer tokenizer = Tokenizers.forModel(model.info().vocabSize(), vocab);
    return new LoadedModel(model, tokenizer, file.getFileName().toString());
  }

  /** The default random model under {@code dataDir/models}, written on first use. */
  static LoadedModel defaultRandom(
      final Path dataDir, final LoadOptions options, final PrintWriter err) throws IOException {
    final Path file = dataDir.resolve("models").resolve(DEFAULT_FILE);
    if (!Files.exists(file)) {
      Files.createDirectories(file.getParent());
      err.println(
          "finchstream: no --model given; creating a seeded random GoldFinch model at "
              + file
              + " (first run only)");
      err.flush();
      final Map<String, String> metadata = new LinkedHashMap<>();
      metadata.put("format", "pt");
      metadata.put("finchstream.generator", "finchstream up (default model)");
      metadata.put("finchstream.arch", "goldfinch");
      metadata.put("finchstream.seed", Long.toString(DEFAULT_SEED));
      metadata.put("finchstream.note", "random weights, not a language model");
      final Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      SafetensorsWriter.write(
          tmp, GoldFinchRandom.checkpoint(DEFAULT_CONFIG, DEFAULT_SEED), DType.F32, metadata);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
    final LanguageModel model = Models.load(file, options);
    return new LoadedModel(model, ByteTokenizer.INSTANCE, DEFAULT_LABEL);
  }
}
