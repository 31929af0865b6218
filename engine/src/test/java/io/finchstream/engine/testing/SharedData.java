package io.finchstream.engine.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the shared test data ({@code $FINCHSTREAM_SHARED/data}, default {@code ../shared/data}
 * beside the repository, whose root surefire passes as {@code finchstream.repo}). A test that needs
 * a file calls {@link #require}: when the file is absent the test is skipped with a loud reason (CI
 * fails earlier when the folder is missing).
 */
public final class SharedData {

  private SharedData() {}

  /** The data folder (may not exist). */
  public static Path dir() {
    final String env = System.getenv("FINCHSTREAM_SHARED");
    if (env != null && !env.isBlank()) {
      return Path.of(env).resolve("data");
    }
    final String repo = System.getProperty("finchstream.repo", System.getProperty("user.dir"));
    return Path.of(repo).toAbsolutePath().resolveSibling("shared").resolve("data").normalize();
  }

  /** The file {@code name} of the shared data; skips the calling test loudly when it is absent. */
  public static Path require(final String name) {
    final Path file = dir().resolve(name);
    assumeTrue(
        Files.isRegularFile(file),
        "SKIPPED: shared test data "
            + file
            + " is missing. Check out the shared folder beside the"
            + " repository or set FINCHSTREAM_SHARED; this test needs it.");
    return file;
  }

  /** A little-endian float32 file (e.g. expected logits). */
  public static float[] readFloats(final Path file) {
    try {
      final ByteBuffer buf =
          ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
      final float[] out = new float[buf.remaining() / 4];
      buf.asFloatBuffer().get(out);
      return out;
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
