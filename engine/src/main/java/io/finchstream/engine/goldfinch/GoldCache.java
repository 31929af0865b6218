package io.finchstream.engine.goldfinch;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.TokenCache;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A conversation's GoldFinch cache (goldfinch-math §3.2–3.3, option 2), one entry per token.
 *
 * <ul>
 *   <li><b>Canonical part</b> (durable): the token id and the compressed key {@code c_t} (R fp32
 *       values). It is grouped in blocks of {@link #blockSize()} entries; appending changes only
 *       the last block, so storing the cache never rewrites old blocks ({@link #block(int)}).
 *   <li><b>Derived part</b> (in memory only): {@code kD_t} and every GOLD layer's key and value
 *       {@code k^l_t, v^l_t} (A fp32 values each), materialized by the model when the entry is
 *       appended, and rebuilt from the canonical part when a state is restored.
 * </ul>
 *
 * <p>Storage is a list of chunks of {@code blockSize} entries. A full chunk is never written again,
 * so {@link #copy()} shares full chunks and copies only the partial last one: forking a long
 * conversation is O(blockSize), not O(length).
 */
public final class GoldCache implements TokenCache {

  /** "GFC1": marks a canonical GoldFinch cache block. */
  static final int MAGIC = 0x47464331;

  static final int VERSION = 1;

  /** magic, version, R, blockSize, first position (long), count. */
  static final int HEADER_BYTES = 4 * 4 + 8 + 4;

  private static final int FIRST_CAPACITY = 16;

  private final int compressed; // R
  private final int dim; // A
  private final int goldLayers; // G
  private final int blockSize;
  private final List<Chunk> chunks;
  private long size;

  /** An empty cache for a model with these sizes. */
  public GoldCache(final int compressed, final int dim, final int goldLayers, final int blockSize) {
    if (compressed < 1 || dim < 1 || goldLayers < 1 || blockSize < 1) {
      throw new IllegalArgumentException(
          "bad cache sizes R="
              + compressed
              + " A="
              + dim
              + " G="
              + goldLayers
              + " block="
              + blockSize);
    }
    this.compressed = compressed;
    this.dim = dim;
    this.goldLayers = goldLayers;
    this.blockSize = blockSize;
    this.chunks = new ArrayList<>();
  }

  private GoldCache(final GoldCache other) {
    this(other.compressed, other.dim, other.goldLayers, other.blockSize);
    for (final Chunk chunk : other.chunks) {
      chunks.add(chunk.count == blockSize ? chunk : chunk.copy());
    }
    this.size = other.size;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public int blockSize() {
    return blockSize;
  }

  @Override
  public int entryBytes() {
    return 4 + 4 * compressed;
  }

  /** R. */
  public int compressed() {
    return compressed;
  }

  /** A deep copy that shares the (immutable) full chunks. */
  public GoldCache copy() {
    return new GoldCache(this);
  }

  /** The token id at a position. */
  public int token(final long position) {
    final Chunk chunk = chunkOf(position);
    return chunk.tokens[(int) (position % blockSize)];
  }

  /** Copies {@code c_t} (R values) of a position into {@code dst[dstOff..]}. */
  public void compressedKey(final long position, final float[] dst, final int dstOff) {
    final Chunk chunk = chunkOf(position);
    System.arraycopy(chunk.c, (int) (position % blockSize) * compressed, dst, dstOff, compressed);
  }

  /** Copies {@code kD_t} (A values) of a position into {@code dst[dstOff..]}. */
  public void decompressedKey(final long position, final float[] dst, final int dstOff) {
    final Chunk chunk = chunkOf(position);
    System.arraycopy(chunk.kD, (int) (position % blockSize) * dim, dst, dstOff, dim);
  }

  /**
   * Appends the entries of rows {@code [first, first + n)}. Row {@code t} of each argument is one
   * token: {@code tokens[t]}, {@code c [rows, R]}, {@code kD [rows, A]}, {@code keys[g]} and {@code
   * values[g]} {@code [rows, A]} for GOLD layer g.
   */
  public void append(
      final int[] tokens,
      final int first,
      final int n,
      final float[] c,
      final float[] kD,
      final float[][] keys,
      final float[][] values) {
    for (int t = first; t < first + n; t++) {
      final Chunk chunk = writableLastChunk();
      final int slot = chunk.count;
      chunk.tokens[slot] = tokens[t];
      System.arraycopy(c, t * compressed, chunk.c, slot * compressed, compressed);
      System.arraycopy(kD, t * dim, chunk.kD, slot * dim, dim);
      for (int g = 0; g < goldLayers; g++) {
        System.arraycopy(keys[g], t * dim, chunk.k[g], slot * dim, dim);
        System.arraycopy(values[g], t * dim, chunk.v[g], slot * dim, dim);
      }
      chunk.count++;
      size++;
    }
  }

  /**
   * GOLD layer g's key chunks (read only), for the attention kernel: chunk {@code j} holds
   * positions {@code [j·blockSize, j·blockSize + count)}, row-major {@code [count, A]}.
   */
  public float[][] keyChunks(final int g) {
    final float[][] out = new float[chunks.size()][];
    for (int j = 0; j < out.length; j++) {
      out[j] = chunks.get(j).k[g];
    }
    return out;
  }

  /** GOLD layer g's value chunks (read only). */
  public float[][] valueChunks(final int g) {
    final float[][] out = new float[chunks.size()][];
    for (int j = 0; j < out.length; j++) {
      out[j] = chunks.get(j).v[g];
    }
    return out;
  }

  @Override
  public byte[] block(final int index) {
    if (index < 0 || index >= chunks.size()) {
      throw new IndexOutOfBoundsException("block " + index + " of " + chunks.size());
    }
    final Chunk chunk = chunks.get(index);
    final ByteBuffer buf =
        ByteBuffer.allocate(HEADER_BYTES + chunk.count * entryBytes())
            .order(ByteOrder.LITTLE_ENDIAN);
    buf.putInt(MAGIC).putInt(VERSION).putInt(compressed).putInt(blockSize);
    buf.putLong((long) index * blockSize).putInt(chunk.count);
    for (int i = 0; i < chunk.count; i++) {
      buf.putInt(chunk.tokens[i]);
      for (int r = 0; r < compressed; r++) {
        buf.putFloat(chunk.c[i * compressed + r]);
      }
    }
    return buf.array();
  }

  /**
   * Reads canonical blocks (in block order) into token ids and compressed keys; the caller
   * re-materializes the derived part by appending them.
   *
   * @throws EngineException when a block is corrupt, out of order, or for another R or block size
   */
  public static Canonical readBlocks(
      final List<byte[]> blocks, final int compressed, final int blockSize) {
    long total = 0;
    for (int b = 0; b < blocks.size(); b++) {
      total += checkHeader(blocks.get(b), b, blocks.size(), compressed, blockSize);
    }
    if (total > Integer.MAX_VALUE / Math.max(1, compressed)) {
      throw new EngineException(
          "cache of " + total + " tokens is too large to restore in one piece");
    }
    final int[] tokens = new int[(int) total];
    final float[] c = new float[(int) total * compressed];
    int at = 0;
    for (final byte[] block : blocks) {
      final ByteBuffer buf = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
      buf.position(HEADER_BYTES - 4);
      final int count = buf.getInt();
      for (int i = 0; i < count; i++, at++) {
        tokens[at] = buf.getInt();
        for (int r = 0; r < compressed; r++) {
          c[at * compressed + r] = buf.getFloat();
        }
      }
    }
    return new Canonical(tokens, c);
  }

  /** The canonical content of a cache: token ids {@code [T]} and compressed keys {@code [T, R]}. */
  @SuppressWarnings("ArrayRecordComponent") // read by index, never compared or hashed
  public record Canonical(int[] tokens, float[] c) {}

  private static int checkHeader(
      final byte[] block,
      final int index,
      final int blocks,
      final int compressed,
      final int blockSize) {
    final String where = "GoldFinch cache block " + index + ": ";
    if (block.length < HEADER_BYTES) {
      throw new EngineException(where + "only " + block.length + " bytes, shorter than its header");
    }
    final ByteBuffer buf = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
    if (buf.getInt() != MAGIC) {
      throw new EngineException(where + "bad magic; not a GoldFinch cache block");
    }
    final int version = buf.getInt();
    if (version != VERSION) {
      throw new EngineException(where + "version " + version + ", this engine reads " + VERSION);
    }
    final int r = buf.getInt();
    final int bs = buf.getInt();
    if (r != compressed || bs != blockSize) {
      throw new EngineException(
          where
              + "written for R="
              + r
              + ", block size "
              + bs
              + "; this model has R="
              + compressed
              + ", block size "
              + blockSize
              + " (a state of another model?)");
    }
    final long first = buf.getLong();
    final int count = buf.getInt();
    if (first != (long) index * blockSize) {
      throw new EngineException(
          where
              + "starts at position "
              + first
              + ", expected "
              + (long) index * blockSize
              + " (blocks out of order or missing)");
    }
    final boolean last = index == blocks - 1;
    if (count < 1 || count > blockSize || (!last && count != blockSize)) {
      throw new EngineException(
          where + "holds " + count + " entries; only the last block may be partial");
    }
    final long expected = HEADER_BYTES + (long) count * (4 + 4L * compressed);
    if (block.length != expected) {
      throw new EngineException(
          where + block.length + " bytes, expected " + expected + " (truncated?)");
    }
    return count;
  }

  /**
   * Equal when both hold the same entries: sizes, block size and every canonical and derived value
   * (bit for bit).
   */
  @Override
  public boolean equals(final Object o) {
    if (!(o instanceof GoldCache other)
        || other.size != size
        || other.blockSize != blockSize
        || other.compressed != compressed
        || other.dim != dim
        || other.goldLayers != goldLayers) {
      return false;
    }
    for (int j = 0; j < chunks.size(); j++) {
      if (!chunks.get(j).sameEntries(other.chunks.get(j))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = Long.hashCode(size);
    for (final Chunk chunk : chunks) {
      h = 31 * h + Arrays.hashCode(Arrays.copyOf(chunk.tokens, chunk.count));
    }
    return h;
  }

  /** Bytes held in memory: canonical and derived arrays of every chunk (shared chunks counted). */
  public long memoryBytes() {
    long bytes = 0;
    for (final Chunk chunk : chunks) {
      bytes += chunk.bytes();
    }
    return bytes;
  }

  private Chunk chunkOf(final long position) {
    if (position < 0 || position >= size) {
      throw new IndexOutOfBoundsException("position " + position + " of a cache of " + size);
    }
    return chunks.get((int) (position / blockSize));
  }

  private Chunk writableLastChunk() {
    Chunk last = chunks.isEmpty() ? null : chunks.get(chunks.size() - 1);
    if (last == null || last.count == blockSize) {
      last = new Chunk(Math.min(FIRST_CAPACITY, blockSize));
      chunks.add(last);
    } else if (last.count == last.capacity) {
      last = last.grown(Math.min(blockSize, 2 * last.capacity));
      chunks.set(chunks.size() - 1, last);
    }
    return last;
  }

  /** Up to blockSize entries: canonical {@code tokens, c} and derived {@code kD, k[g], v[g]}. */
  private final class Chunk {
    final int capacity;
    final int[] tokens; // [capacity]
    final float[] c; // [capacity, R]
    final float[] kD; // [capacity, A]
    final float[][] k; // [G][capacity, A]
    final float[][] v; // [G][capacity, A]
    int count;

    Chunk(final int capacity) {
      this.capacity = capacity;
      this.tokens = new int[capacity];
      this.c = new float[capacity * compressed];
      this.kD = new float[capacity * dim];
      this.k = new float[goldLayers][capacity * dim];
      this.v = new float[goldLayers][capacity * dim];
    }

    Chunk grown(final int newCapacity) {
      final Chunk out = new Chunk(newCapacity);
      out.copyFrom(this);
      return out;
    }

    Chunk copy() {
      return grown(capacity);
    }

    private void copyFrom(final Chunk src) {
      System.arraycopy(src.tokens, 0, tokens, 0, src.count);
      System.arraycopy(src.c, 0, c, 0, src.count * compressed);
      System.arraycopy(src.kD, 0, kD, 0, src.count * dim);
      for (int g = 0; g < goldLayers; g++) {
        System.arraycopy(src.k[g], 0, k[g], 0, src.count * dim);
        System.arraycopy(src.v[g], 0, v[g], 0, src.count * dim);
      }
      count = src.count;
    }

    boolean sameEntries(final Chunk o) {
      if (o.count != count
          || !Arrays.equals(tokens, 0, count, o.tokens, 0, count)
          || !Arrays.equals(c, 0, count * compressed, o.c, 0, count * compressed)
          || !Arrays.equals(kD, 0, count * dim, o.kD, 0, count * dim)) {
        return false;
      }
      for (int g = 0; g < goldLayers; g++) {
        if (!Arrays.equals(k[g], 0, count * dim, o.k[g], 0, count * dim)
            || !Arrays.equals(v[g], 0, count * dim, o.v[g], 0, count * dim)) {
          return false;
        }
      }
      return true;
    }

    long bytes() {
      return 4L * capacity * (1 + compressed + (long) dim * (1 + 2L * goldLayers));
    }
  }
}
