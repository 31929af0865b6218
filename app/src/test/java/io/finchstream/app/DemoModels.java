package io.finchstream.app;

import static org.assertj.core.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The trained demo models of the repository's {@code models/} ({@code models/README.md}). They are
 * part of the repository, so a missing file fails the calling test with what to do, never skips it.
 */
final class DemoModels {

  /** The repository's {@code models/} directory (tests run in {@code app/}). */
  static final Path DIR = Path.of("..", "models");

  private DemoModels() {}

  /** The file {@code name} of {@code models/}; fails the calling test when it is absent. */
  static Path require(final String name) {
    final Path file = DIR.resolve(name);
    if (!Files.isRegularFile(file)) {
      fail(
          "the demo model file models/"
              + name
              + " is missing ("
              + file.toAbsolutePath().normalize()
              + "). The trained demo models are committed in models/; models/README.md gives the"
              + " command that makes them (tools/train_demo_models.py train).");
    }
    return file;
  }
}
