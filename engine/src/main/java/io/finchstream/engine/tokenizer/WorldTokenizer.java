package io.finchstream.engine.tokenizer;

import io.finchstream.engine.EngineException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The RWKV "World" tokenizer ({@code rwkv_vocab_v20230424.txt}, finch-math.md §4).
 *
 * <p>Encoding is greedy longest match over the UTF-8 bytes: at each position take the longest vocab
 * entry that is a prefix of the remaining bytes, emit its id, advance (§4.2). All 256 single bytes
 * are tokens (byte b is id b+1), so encoding never fails. No normalisation, no special tokens, no
 * BOS: the text {@code <|endoftext|>} is tokenised as plain text. Decoding concatenates token bytes
 * (§4.3).
 *
 * <p>The vocabulary has {@value #VOCAB_SIZE} ids like the models' embedding: 0 is end of text (not
 * in the file), 1..65529 come from the file, and 65530..65535 are reserved (they exist in the
 * models' head but never occur); 0 and the reserved ids decode to no bytes. Immutable and
 * thread-safe.
 */
public final class WorldTokenizer implements Tokenizer {

  /** Vocabulary size of World models (embedding rows), including id 0 and the reserved ids. */
  public static final int VOCAB_SIZE = 65_536;

  /** The file name of the World vocab. */
  public static final String VOCAB_FILE_NAME = "rwkv_vocab_v20230424.txt";

  private final WorldVocab vocab;
  private final ByteTrie trie;

  private WorldTokenizer(final WorldVocab vocab) {
    this.vocab = vocab;
    this.trie = new ByteTrie(vocab.flat().length);
    for (int id = 1; id <= vocab.lastId(); id++) {
      trie.insert(vocab.flat(), vocab.start(id), vocab.length(id), id);
    }
  }

  /**
   * Loads and validates {@code rwkv_vocab_v20230424.txt} (LF or CRLF).
   *
   * @throws VocabException naming the file (and the line) if it is missing, unreadable or malformed
   */
  public static WorldTokenizer load(final Path vocabFile) {
    return new WorldTokenizer(WorldVocab.read(vocabFile));
  }

  @Override
  public int vocabSize() {
    return VOCAB_SIZE;
  }

  @Override
  public int[] encodeBytes(final byte[] bytes) {
    int[] ids = new int[Math.max(16, bytes.length / 3)];
    int count = 0;
    int pos = 0;
    while (pos < bytes.length) {
      final long match = trie.longestMatch(bytes, pos, bytes.length);
      // every single byte is a token (checked at load), so there is always a match
      if (count == ids.length) {
        ids = Arrays.copyOf(ids, ids.length * 2);
      }
      ids[count++] = ByteTrie.matchId(match);
      pos += ByteTrie.matchLength(match);
    }
    return Arrays.copyOf(ids, count);
  }

  @Override
  public byte[] tokenBytes(final int id) {
    TokenIds.check(id, VOCAB_SIZE);
    if (id == END_OF_TEXT || id > vocab.lastId()) {
      return new byte[0];
    }
    return Arrays.copyOfRange(vocab.flat(), vocab.start(id), vocab.start(id) + vocab.length(id));
  }

  @Override
  public byte[] decodeBytes(final int[] ids) {
    long total = 0;
    for (final int id : ids) {
      TokenIds.check(id, VOCAB_SIZE);
      total += bytesOf(id);
    }
    if (total > Integer.MAX_VALUE - 8) {
      throw new EngineException(
          "decoded text of " + ids.length + " tokens is too large (" + total + " bytes)");
    }
    final byte[] out = new byte[(int) total];
    int at = 0;
    for (final int id : ids) {
      final int n = bytesOf(id);
      if (n > 0) {
        System.arraycopy(vocab.flat(), vocab.start(id), out, at, n);
        at += n;
      }
    }
    return out;
  }

  private int bytesOf(final int id) {
    return id == END_OF_TEXT || id > vocab.lastId() ? 0 : vocab.length(id);
  }

  @Override
  public String toString() {
    return "WorldTokenizer[" + vocab.lastId() + " tokens, vocab=" + VOCAB_SIZE + "]";
  }
}
