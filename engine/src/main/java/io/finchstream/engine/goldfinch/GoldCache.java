package io.finchstream.engine.goldfinch;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.StatePrecision;
import io.finchstream.engine.TokenCache;
import io.finchstream.engine.tensor.Bf16;
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
 *   <li><b>Derived part</b> (in memory only, optional): every GOLD layer's key and value {@code
 *       k^l_t, v^l_t} (A values each, fp32 or bf16), in the layouts of {@link
 *       io.finchstream.engine.kernels.AttentionKernels} (keys channel-major, values position-major,
 *       per head). The model materializes it when entries are appended, can {@link #dropDerived
 *       drop} it to save memory, and rebuilds it from the canonical part when attention needs it
 *       again (also after a state is restored).
 *   <li>{@code kD} of the last entry, which the next append shifts against.
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
  private final int headSize; // N
  private final int goldLayers; // G
  private final int blockSize;
  private final StatePrecision precision; // of the derived keys and values
  private final List<Chunk> chunks;
  private long size;
  private boolean derived = true; // every entry has its derived part
  private float[] lastKD; // [A] kD of entry size − 1, null when unknown

  /**
   * An empty cache for a model with these sizes, its derived keys and values kept at {@code
   * precision}.
   */
  public GoldCache(
      final int compressed,
      final int dim,
      final int headSize,
      final int goldLayers,
      final int blockSize,
      final StatePrecision precision) {
    if (compressed < 1
        || dim < 1
        || headSize < 1
        || dim % headSize != 0
        || goldLayers < 1
        || blockSize < 1) {
      throw new IllegalArgumentException(
          "bad cache sizes R="
              + compressed
              + " A="
              + dim
              + " N="
              + headSize
              + " G="
              + goldLayers
              + " block="
              + blockSize);
    }
    this.compressed = compressed;
    this.dim = dim;
    this.headSize = headSize;
    this.goldLayers = goldLayers;
    this.blockSize = blockSize;
    this.precision = precision;
    this.chunks = new ArrayList<>();
  }

  private GoldCache(final GoldCache other) {
    this(
        other.compressed,
        other.dim,
        other.headSize,
        other.goldLayers,
        other.blockSize,
        other.precision);
    for (final Chunk chunk : other.chunks) {
      chunks.add(chunk.count == blockSize ? chunk : chunk.copy(chunk.capacity));
    }
    this.size = other.size;
    this.derived = other.derived;
    this.lastKD = other.lastKD == null ? null : other.lastKD.clone();
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

  /** The precision of the derived keys and values. */
  public StatePrecision precision() {
    return precision;
  }

  /** A deep copy that shares the (immutable) full chunks. */
  public GoldCache copy() {
    return new GoldCache(this);
  }

  /**
   * The first {@code n} entries (the cache cut at position {@code n}): full chunks are shared, the
   * partial one is copied, and the derived part is kept where this cache has it. {@code kD} of the
   * last entry is known only when nothing is cut (the next append computes it again otherwise).
   */
  public GoldCache firstEntries(final long n) {
    if (n < 0 || n > size) {
      throw new IndexOutOfBoundsException("cut at " + n + " of a cache of " + size);
    }
    final GoldCache cut =
        new GoldCache(compressed, dim, headSize, goldLayers, blockSize, precision);
    final int full = (int) (n / blockSize);
    final int rest = (int) (n % blockSize);
    for (int j = 0; j < full; j++) {
      final Chunk chunk = chunks.get(j);
      cut.chunks.add(chunk.count == blockSize ? chunk : chunk.copy(chunk.capacity));
    }
    if (rest > 0) {
      final Chunk partial = chunks.get(full).copy(chunks.get(full).capacity);
      partial.count = rest;
      cut.chunks.add(partial);
    }
    cut.size = n;
    cut.derived = derived;
    cut.lastKD = n == size && lastKD != null ? lastKD.clone() : null;
    return cut;
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

  /** {@code kD} of the last entry [A] (read only), or null when not known (after a restore). */
  float[] lastDecompressedKey() {
    return lastKD;
  }

  /** Whether every entry has its derived keys and values (attention can run). */
  public boolean hasDerived() {
    return derived;
  }

  /**
   * Appends the entries of rows {@code [first, first + n)}. Row {@code t} of each argument is one
   * token: {@code tokens[t]}, {@code c [rows, R]}, {@code kD [rows, A]} (null: not known), and,
   * when the cache keeps its derived part, {@code keys[g]} and {@code values[g]} {@code [rows, A]}
   * for GOLD layer g (not read otherwise; they may be null then).
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
      if (derived) {
        chunk.putDerived(slot, keys, values, t);
      }
      chunk.count++;
      size++;
    }
    if (n > 0 && kD == null) {
      lastKD = null; // restored entries: the next append computes it again
    } else if (n > 0) {
      if (lastKD == null) {
        lastKD = new float[dim];
      }
      System.arraycopy(kD, (first + n - 1) * dim, lastKD, 0, dim);
    }
  }

  /** Bytes of the derived keys and values held (shared chunks counted). */
  public long derivedBytes() {
    long bytes = 0;
    for (final Chunk chunk : chunks) {
      bytes += chunk.derivedBytes();
    }
    return bytes;
  }

  /**
   * Frees the derived keys and values (forks keep theirs); returns the bytes freed. The canonical
   * part stays, and the model rebuilds the rest from it when attention needs it again.
   */
  public long dropDerived() {
    final long freed = derivedBytes();
    for (int j = 0; j < chunks.size(); j++) {
      chunks.set(j, chunks.get(j).withoutDerived());
    }
    derived = false;
    return freed;
  }

  /**
   * Starts rebuilding the derived part: every chunk gets fresh derived arrays, which {@link
   * #putDerived} fills in position order; {@link #finishRebuild} marks the part complete.
   */
  void startRebuild() {
    for (int j = 0; j < chunks.size(); j++) {
      chunks.set(j, chunks.get(j).withFreshDerived());
    }
  }

  /** The derived keys and values of positions {@code [first, first + n)}, rows 0 .. n−1. */
  void putDerived(final long first, final int n, final float[][] keys, final float[][] values) {
    for (int t = 0; t < n; t++) {
      final long position = first + t;
      chunkOf(position).putDerived((int) (position % blockSize), keys, values, t);
    }
  }

  /** Ends a rebuild: every entry has its derived part, and {@code kD} of the last is known. */
  void finishRebuild(final float[] lastDecompressedKey) {
    derived = true;
    lastKD = size == 0 ? null : lastDecompressedKey.clone();
  }

  /** Marks the derived part missing without any to drop (a cache restored from its blocks). */
  void markDerivedMissing() {
    derived = false;
  }

  /**
   * GOLD layer g's float32 key chunks (read only), for the attention kernel: chunk {@code j} holds
   * positions {@code [j·blockSize, j·blockSize + count)} in the kernel's layout.
   */
  public float[][] keyChunksF32(final int g) {
    final float[][] out = new float[chunks.size()][];
    for (int j = 0; j < out.length; j++) {
      out[j] = chunks.get(j).derived().k32[g];
    }
    return out;
  }

  /** GOLD layer g's float32 value chunks (read only). */
  public float[][] valueChunksF32(final int g) {
    final float[][] out = new float[chunks.size()][];
    for (int j = 0; j < out.length; j++) {
      out[j] = chunks.get(j).derived().v32[g];
    }
    return out;
  }

  /** GOLD layer g's bf16 key chunks (read only). */
  public short[][] keyChunksBf16(final int g) {
    final short[][] out = new short[chunks.size()][];
    for (int j = 0; j < out.length; j++) {
      out[j] = chunks.get(j).derived().k16[g];
    }
    return out;
  }

  /** GOLD layer g's bf16 value chunks (read only). */
  public short[][] valueChunksBf16(final int g) {
    final short[][] out = new short[chunks.size()][];
    for (int j = 0; j < out.length; j++) {
      out[j] = chunks.get(j).derived().v16[g];
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
   * Equal when both hold the same entries: sizes, block size and every canonical value, bit for
   * bit. The derived part is a function of the canonical one (the model computes it the same way on
   * append and on rebuild), so it is not compared.
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
    long bytes = lastKD == null ? 0 : 4L * dim;
    for (final Chunk chunk : chunks) {
      bytes += 4L * chunk.capacity * (1 + compressed) + chunk.derivedBytes();
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
      last = new Chunk(Math.min(FIRST_CAPACITY, blockSize), derived);
      chunks.add(last);
    } else if (last.count == last.capacity) {
      last = last.copy(Math.min(blockSize, 2 * last.capacity));
      chunks.set(chunks.size() - 1, last);
    }
    return last;
  }

  /**
   * The derived arrays of a chunk, one per GOLD layer, {@code [A · capacity]} each: float32 in
   * {@code k32, v32} or bf16 in {@code k16, v16} (the other pair null).
   */
  @SuppressWarnings("ArrayRecordComponent") // per-chunk arrays, read by index; never compared
  private record Derived(float[][] k32, float[][] v32, short[][] k16, short[][] v16) {}

  /**
   * Up to blockSize entries: canonical {@code tokens, c} and, unless dropped, the derived keys and
   * values (keys {@code [A][capacity]}, values {@code [H][capacity][N]}). Full chunks are shared
   * between forks and never written again; dropping or rebuilding the derived part replaces a chunk
   * by one that shares its canonical arrays.
   */
  private final class Chunk {
    final int capacity;
    final int[] tokens; // [capacity]
    final float[] c; // [capacity, R]
    private Derived derived; // null when dropped
    int count;

    Chunk(final int capacity, final boolean withDerived) {
      this(capacity, new int[capacity], new float[capacity * compressed], 0, withDerived);
    }

    private Chunk(
        final int capacity,
        final int[] tokens,
        final float[] c,
        final int count,
        final boolean withDerived) {
      this.capacity = capacity;
      this.tokens = tokens;
      this.c = c;
      this.count = count;
      this.derived = withDerived ? newDerived(capacity) : null;
    }

    private Derived newDerived(final int cap) {
      final int n = dim * cap;
      return precision == StatePrecision.FP32
          ? new Derived(new float[goldLayers][n], new float[goldLayers][n], null, null)
          : new Derived(null, null, new short[goldLayers][n], new short[goldLayers][n]);
    }

    Derived derived() {
      if (derived == null) {
        throw new IllegalStateException("the derived cache was dropped; rebuild it first");
      }
      return derived;
    }

    /** A copy of capacity {@code newCapacity} (canonical and derived entries re-laid out). */
    Chunk copy(final int newCapacity) {
      final Chunk out =
          new Chunk(
              newCapacity,
              Arrays.copyOf(tokens, newCapacity),
              Arrays.copyOf(c, newCapacity * compressed),
              count,
              derived != null);
      if (derived != null) {
        for (int g = 0; g < goldLayers; g++) {
          for (int a = 0; a < dim; a++) {
            copyRun(derived, g, true, a * capacity, out.derived, a * newCapacity, count);
          }
          for (int h = 0; h < dim / headSize; h++) {
            copyRun(
                derived,
                g,
                false,
                h * capacity * headSize,
                out.derived,
                h * newCapacity * headSize,
                count * headSize);
          }
        }
      }
      return out;
    }

    Chunk withoutDerived() {
      return new Chunk(capacity, tokens, c, count, false);
    }

    Chunk withFreshDerived() {
      return new Chunk(capacity, tokens, c, count, true);
    }

    /** Writes slot {@code slot}'s keys and values from row {@code row} of the arguments. */
    void putDerived(final int slot, final float[][] keys, final float[][] values, final int row) {
      final Derived d = derived;
      for (int g = 0; g < goldLayers; g++) {
        for (int a = 0; a < dim; a++) {
          final float k = keys[g][row * dim + a];
          final int h = a / headSize;
          final int vAt = (h * capacity + slot) * headSize + a % headSize;
          final float v = values[g][row * dim + a];
          if (d.k32 != null) {
            d.k32[g][a * capacity + slot] = k;
            d.v32[g][vAt] = v;
          } else {
            d.k16[g][a * capacity + slot] = Bf16.fromFloat(k);
            d.v16[g][vAt] = Bf16.fromFloat(v);
          }
        }
      }
    }

    long derivedBytes() {
      return derived == null
          ? 0
          : (long) goldLayers * 2 * dim * capacity * (precision == StatePrecision.FP32 ? 4 : 2);
    }

    boolean sameEntries(final Chunk o) {
      return o.count == count
          && Arrays.equals(tokens, 0, count, o.tokens, 0, count)
          && Arrays.equals(c, 0, count * compressed, o.c, 0, count * compressed);
    }
  }

  private static void copyRun(
      final Derived from,
      final int g,
      final boolean keys,
      final int fromAt,
      final Derived to,
      final int toAt,
      final int n) {
    if (from.k32 != null) {
      System.arraycopy(
          keys ? from.k32[g] : from.v32[g], fromAt, keys ? to.k32[g] : to.v32[g], toAt, n);
    } else {
      System.arraycopy(
          keys ? from.k16[g] : from.v16[g], fromAt, keys ? to.k16[g] : to.v16[g], toAt, n);
    }
  }
}
