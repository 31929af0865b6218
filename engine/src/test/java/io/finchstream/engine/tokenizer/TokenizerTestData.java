package io.finchstream.engine.tokenizer;

import io.finchstream.engine.testing.SharedData;
import java.nio.file.Path;

/**
 * The World vocabulary of the shared test data ({@link SharedData}) and a tokenizer over it, loaded
 * once per JVM. Tests that need it are skipped loudly when the file is absent. Also used by the app
 * module's tests.
 */
public final class TokenizerTestData {

  private static WorldTokenizer world;

  private TokenizerTestData() {}

  /** The World vocab file; skips if absent. */
  public static Path worldVocab() {
    return SharedData.require(WorldTokenizer.VOCAB_FILE_NAME);
  }

  /** The World tokenizer, loaded once per JVM; skips if the vocab is absent. */
  public static synchronized WorldTokenizer worldTokenizer() {
    if (world == null) {
      world = WorldTokenizer.load(worldVocab());
    }
    return world;
  }
}
