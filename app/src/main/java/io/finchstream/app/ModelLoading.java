package io.finchstream.app;

import io.finchstream.engine.LoadOptions;
import java.io.PrintWriter;

/** Load options for served models: defaults (all processors, fp32) with progress on the terminal. */
final class ModelLoading {

  private ModelLoading() {}

  static LoadOptions options(final PrintWriter err) {
    return LoadOptions.defaults().withProgress(TerminalProgress.on(err));
  }
}
