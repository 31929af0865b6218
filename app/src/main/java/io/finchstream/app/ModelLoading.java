package io.finchstream.app;

import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.WeightPrecision;
import io.finchstream.processors.FinchstreamConfig;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Load options for served models, from the configuration ({@code model.precision}, {@code
 * engine.threads}), with progress on the terminal.
 */
final class ModelLoading {

  private ModelLoading() {}

  static LoadOptions options(final FinchstreamConfig config, final PrintWriter err) {
    LoadOptions options =
        LoadOptions.defaults()
            .withPrecision(
                WeightPrecision.valueOf(
                    config
                        .getString(FinchstreamConfig.MODEL_PRECISION_CONFIG)
                        .toUpperCase(Locale.ROOT)))
            .withProgress(TerminalProgress.on(err));
    final int threads = config.getInt(FinchstreamConfig.ENGINE_THREADS_CONFIG);
    if (threads > 0) {
      options = options.withThreads(threads);
    }
    return options;
  }
}
