package io.finchstream.engine.io;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates test inputs: the shared data directory ({@code FINCHSTREAM_SHARED}, default
 * {@code ../shared} next to the repository) and the committed fixtures under
 * {@code engine/src/test/resources/fixtures/}.
 */
public final class TestFiles {

  private TestFiles() {}

  /** The shared data directory (may not exist). */
  public static Path sharedDir() {
    final String env = System.getenv("FINCHSTREAM_SHARED");
    if (env != null && !env.isBlank()) {
      return Path.of(env, "data");
    }
    final String repo = System.getProperty("finchstream.repo", System.getProperty("user.dir"));
    return Path.of(repo).resolve("../shared/data").normalize();
  }

  /**
   * A file of the shared data directory; skips the test, loudly, when it is absent.
   *
   * @param name e.g. {@code tiny-rwkv-6v0-1m-FP32.bin}
   */
  public static Path shared(final String name) {
    final Path file = sharedDir().resolve(name);
    assumeTrue(
        Files.isRegularFile(file),
        "SKIPPED: shared test file " + file + " is absent; set FINCHSTREAM_SHARED to the"
            + " directory holding data/" + name);
    return file;
  }
}
