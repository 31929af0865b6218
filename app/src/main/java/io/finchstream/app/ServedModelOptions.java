package io.finchstream.app;

import io.finchstream.processors.LoadedModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options of the commands that run a model the way the service does, with its tokenizer: {@link
 * ModelOptions} plus {@code --vocab}.
 */
final class ServedModelOptions {

  @Mixin ModelOptions modelOptions;

  @Option(
      names = "--vocab",
      paramLabel = "FILE",
      description = "World vocabulary file, for 65536-token models.")
  Path vocab;

  /** Loads the model and its tokenizer, showing progress on {@code err}. */
  LoadedModel load(final PrintWriter err) {
    return ServedModels.load(modelOptions.model, vocab, modelOptions.loadOptions(err));
  }

  /** {@code <architecture> model <file> (<L> layers, dim <C>)}, the first line of a report. */
  String describe(final LoadedModel model) {
    return String.format(
        Locale.ROOT,
        "%s model %s (%d layers, dim %d)",
        model.info().architecture(),
        modelOptions.model.getFileName(),
        model.info().layers(),
        model.info().dim());
  }
}
