package io.finchstream.engine;

/**
 * The canonical, append-only per-token cache of a conversation (GoldFinch: token id + compressed
 * key per token). Entries are grouped in blocks of {@link #blockSize()} entries; block {@code i}
 * holds entries {@code [i*blockSize, (i+1)*blockSize)}, and only the last block can be partial.
 * Appending changes only the last block (or starts a new one), so a store that persists blocks by
 * index writes O(new entries) bytes per append.
 */
public interface TokenCache {

  /** Entries so far (equals the conversation's position). */
  long size();

  /** Entries per block (fixed for a model). */
  int blockSize();

  /** Number of blocks, the last possibly partial: {@code ceil(size / blockSize)}. */
  default int blockCount() {
    return (int) ((size() + blockSize() - 1) / blockSize());
  }

  /** The canonical bytes of block {@code index} (versioned, self-describing length). */
  byte[] block(int index);

  /** Bytes per entry in canonical form. */
  int entryBytes();

  /** The cache of models that have none. */
  TokenCache EMPTY =
      new TokenCache() {
        @Override
        public long size() {
          return 0;
        }

        @Override
        public int blockSize() {
          return 1;
        }

        @Override
        public byte[] block(final int index) {
          throw new IndexOutOfBoundsException("this model has no token cache");
        }

        @Override
        public int entryBytes() {
          return 0;
        }
      };
}
