package io.finchstream.engine.tokenizer;

import io.finchstream.engine.EngineException;

/** Shared checks on token ids. */
final class TokenIds {

  private TokenIds() {}

  /** Throws unless {@code 0 <= id < vocabSize}. */
  static void check(final int id, final int vocabSize) {
    if (id < 0 || id >= vocabSize) {
      throw new EngineException(
          "token id "
              + id
              + " is outside the vocabulary (valid ids are 0.."
              + (vocabSize - 1)
              + ")");
    }
  }
}
