package io.finchstream.engine.tokenizer;

/**
 * The byte-level vocabulary of vocab-256 models such as the tiny rwkv.cpp test models: token = byte
 * value, so {@code "in} is 34, 105, 110 (finch-math.md §5.1).
 *
 * <p>Token 0 is both the byte 0x00 and end of text: {@link #encodeBytes} maps a NUL byte to 0, and
 * {@link #tokenBytes} decodes 0 to nothing, like every {@link Tokenizer}.
 */
public final class ByteTokenizer implements Tokenizer {

  /** Vocabulary size of byte-level models. */
  public static final int VOCAB_SIZE = 256;

  /** The one instance (the tokenizer has no state). */
  public static final ByteTokenizer INSTANCE = new ByteTokenizer();

  private ByteTokenizer() {}

  @Override
  public int vocabSize() {
    return VOCAB_SIZE;
  }

  @Override
  public int[] encodeBytes(final byte[] bytes) {
    final int[] ids = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      ids[i] = bytes[i] & 0xFF;
    }
    return ids;
  }

  @Override
  public byte[] tokenBytes(final int id) {
    TokenIds.check(id, VOCAB_SIZE);
    return id == END_OF_TEXT ? new byte[0] : new byte[] {(byte) id};
  }

  @Override
  public String toString() {
    return "ByteTokenizer[vocab=256]";
  }
}
