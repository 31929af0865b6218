package io.finchstream.app;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.Models;
import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.safetensors.SafetensorsCheckpoint;
import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.engine.tokenizer.Tokenizers;
import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.LoadedModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;

/**
 * Loads the model a service serves, and the demo model {@code finchstream up} serves by default: a
 * small byte-level GoldFinch trained on Shakespeare ({@code models/README.md}), bundled in the
 * finchstream jar and extracted under the data directory.
 */
final class ServedModels {

  /** The demo model's file, in {@code models/} of the repository and bundled in the jar. */
  static final String DEMO_FILE = "goldfinch-shakespeare-L6-C256.safetensors";

  /** Where the jar holds it. */
  static final String DEMO_RESOURCE = "/models/" + DEMO_FILE;

  /** Where a model file describes itself: a key of its safetensors {@code __metadata__}. */
  static final String DESCRIPTION_KEY = "finchstream.description";

  /** Longest description shown (the chat page, {@code GET /v1/models}); longer ones are cut. */
  static final int MAX_DESCRIPTION_CHARS = 300;

  private ServedModels() {}

  /**
   * The name clients use for {@code served} in the HTTP API: the model file's name without its
   * extension.
   */
  static String apiName(final LoadedModel served) {
    final String file = served.label();
    final int dot = file.lastIndexOf('.');
    return dot > 0 ? file.substring(0, dot) : file;
  }

  /**
   * What a model file says it is, for people: the {@value #DESCRIPTION_KEY} entry of a safetensors
   * file's metadata (the demo models have one), first line only, at most {@value
   * #MAX_DESCRIPTION_CHARS} characters; empty for other files.
   */
  static String description(final Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      final byte[] head = in.readNBytes(9);
      if (head.length < 9 || head[8] != '{') {
        return ""; // not safetensors: .pth and ggml files carry no description
      }
    } catch (final IOException e) {
      return "";
    }
    try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(file)) {
      final String text = checkpoint.metadata().getOrDefault(DESCRIPTION_KEY, "").strip();
      final String line = text.lines().findFirst().orElse("");
      return line.length() <= MAX_DESCRIPTION_CHARS
          ? line
          : line.substring(0, MAX_DESCRIPTION_CHARS - 1) + "…";
    } catch (final CheckpointException e) {
      return "";
    }
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

  /**
   * Writes the demo model bundled in the jar to {@code file}, unless the same bytes are already
   * there; returns {@code file}.
   */
  static Path extractDemo(final Path file, final PrintWriter err) throws IOException {
    final byte[] bundled = demoBytes();
    if (Files.isRegularFile(file)
        && Files.size(file) == bundled.length
        && Arrays.equals(Files.readAllBytes(file), bundled)) {
      return file;
    }
    final Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    err.println("finchstream: writing the demo model to " + file);
    err.flush();
    final Path tmp = parent.resolve(file.getFileName() + ".tmp");
    Files.write(tmp, bundled);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return file;
  }

  private static byte[] demoBytes() throws IOException {
    try (InputStream in = ServedModels.class.getResourceAsStream(DEMO_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            "the demo model "
                + DEMO_RESOURCE
                + " is not in the finchstream jar; rebuild it from the repository (./mvnw -pl app"
                + " -am package, which bundles models/"
                + DEMO_FILE
                + ") or pass --model FILE");
      }
      return in.readAllBytes();
    }
  }
}
