package io.finchstream.engine.tokenizer;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the shared test data (never copied into the repo): env {@code FINCHSTREAM_SHARED}, else
 * {@code ../shared} next to the repo root (system property {@code finchstream.repo}, set by surefire).
 * Tests that need a missing file are skipped with a loud reason. Also reused by the app module's tests.
 */
public final class TokenizerTestData {

  private static WorldTokenizer world;

  private TokenizerTestData() {}

  /** The shared data directory (may not exist). */
  public static Path sharedDataDir() {
    final String env = System.getenv("FINCHSTREAM_SHARED");
    final Path shared = env != null && !env.isBlank()
        ? Path.of(env)
        : Path.of(System.getProperty("finchstream.repo", ".")).resolve("../shared");
    return shared.resolve("data").normalize();
  }

  /** A file of the shared data directory; skips the calling test loudly if it is absent. */
  public static Path sharedFile(final String name) {
    final Path file = sharedDataDir().resolve(name);
    if (!Files.isRegularFile(file)) {
      System.err.println("SKIPPED: shared test data " + file + " is missing (set FINCHSTREAM_SHARED)");
    }
    assumeTrue(Files.isRegularFile(file),
        "SKIPPED: shared test data " + file + " is missing; set FINCHSTREAM_SHARED to the shared directory");
    return file;
  }

  /** The World vocab file; skips if absent. */
  public static Path worldVocab() {
    return sharedFile(WorldTokenizer.VOCAB_FILE_NAME);
  }

  /** The World tokenizer, loaded once per JVM; skips if the vocab is absent. */
  public static synchronized WorldTokenizer worldTokenizer() {
    if (world == null) {
      world = WorldTokenizer.load(worldVocab());
    }
    return world;
  }
}
