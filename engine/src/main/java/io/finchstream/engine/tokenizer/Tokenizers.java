package io.finchstream.engine.tokenizer;

import io.finchstream.engine.EngineException;
import java.nio.file.Path;

/** Picks the tokenizer that matches a model's vocabulary size. */
public final class Tokenizers {

  private Tokenizers() {}

  /**
   * The tokenizer for a model whose head has {@code modelVocabSize} rows.
   *
   * <ul>
   *   <li>256 → {@link ByteTokenizer} (byte-level models; {@code worldVocabFile} is not used);
   *   <li>65536 → {@link WorldTokenizer} loaded from {@code worldVocabFile}, which is then
   *       required.
   * </ul>
   *
   * @param worldVocabFile path to {@value WorldTokenizer#VOCAB_FILE_NAME}; may be null for
   *     byte-level models
   * @throws EngineException for any other vocab size, or a World model without a vocab file
   * @throws VocabException if the vocab file cannot be loaded
   */
  public static Tokenizer forModel(final int modelVocabSize, final Path worldVocabFile) {
    return switch (modelVocabSize) {
      case ByteTokenizer.VOCAB_SIZE -> ByteTokenizer.INSTANCE;
      case WorldTokenizer.VOCAB_SIZE -> {
        if (worldVocabFile == null) {
          throw new EngineException(
              "the model has a vocabulary of "
                  + WorldTokenizer.VOCAB_SIZE
                  + " (RWKV World) and needs the vocab file "
                  + WorldTokenizer.VOCAB_FILE_NAME
                  + "; pass its path (e.g. --vocab)");
        }
        yield WorldTokenizer.load(worldVocabFile);
      }
      default ->
          throw new EngineException(
              "no tokenizer for a vocabulary of "
                  + modelVocabSize
                  + " tokens; supported: "
                  + ByteTokenizer.VOCAB_SIZE
                  + " (byte-level) and "
                  + WorldTokenizer.VOCAB_SIZE
                  + " (RWKV World, "
                  + WorldTokenizer.VOCAB_FILE_NAME
                  + ")");
    };
  }
}
