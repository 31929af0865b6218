package io.finchstream.engine.io.torch;

import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.internal.MappedFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The central directory of a zip archive (with Zip64), read directly so that the byte offset of
 * each entry's data is known and the data can be memory-mapped (java.util.zip does not expose it).
 */
final class ZipIndex {

  private static final int EOCD_SIG = 0x06054b50;
  private static final int EOCD64_LOCATOR_SIG = 0x07064b50;
  private static final int EOCD64_SIG = 0x06064b50;
  private static final int CENTRAL_SIG = 0x02014b50;
  private static final int LOCAL_SIG = 0x04034b50;
  private static final int EOCD_BYTES = 22;
  private static final int MAX_COMMENT = 0xFFFF;
  private static final long U32_MAX = 0xFFFFFFFFL;
  static final int STORED = 0;

  /** One archive member. */
  record Entry(
      String name, int method, long size, long compressedSize, int crc, long localHeader) {}

  private final MappedFile in;
  private final Map<String, Entry> entries;

  private ZipIndex(final MappedFile in, final Map<String, Entry> entries) {
    this.in = in;
    this.entries = Collections.unmodifiableMap(entries);
  }

  /**
   * Reads the central directory.
   *
   * @throws CheckpointException when the archive is truncated or malformed
   */
  static ZipIndex read(final MappedFile in) {
    final long eocd = findEocd(in);
    final ByteBuffer e = in.read(eocd, EOCD_BYTES);
    long count = e.getShort(10) & 0xFFFF;
    long cdSize = e.getInt(12) & U32_MAX;
    long cdOffset = e.getInt(16) & U32_MAX;
    if (count == 0xFFFF || cdSize == U32_MAX || cdOffset == U32_MAX) {
      final ByteBuffer z = zip64Record(in, eocd);
      count = z.getLong(32);
      cdSize = z.getLong(40);
      cdOffset = z.getLong(48);
    }
    if (cdOffset < 0 || cdSize < 0 || cdOffset + cdSize > eocd || cdSize > Integer.MAX_VALUE) {
      throw corrupt(
          in,
          "its central directory (" + cdSize + " bytes at " + cdOffset + ") lies outside the file");
    }
    final ByteBuffer cd = in.read(cdOffset, (int) cdSize);
    final Map<String, Entry> entries = new LinkedHashMap<>();
    int p = 0;
    for (long i = 0; i < count; i++) {
      if (p + 46 > cd.limit() || cd.getInt(p) != CENTRAL_SIG) {
        throw corrupt(in, "central directory entry " + i + " is malformed");
      }
      final int nameLen = cd.getShort(p + 28) & 0xFFFF;
      final int extraLen = cd.getShort(p + 30) & 0xFFFF;
      final int commentLen = cd.getShort(p + 32) & 0xFFFF;
      if (p + 46 + nameLen + extraLen > cd.limit()) {
        throw corrupt(in, "central directory entry " + i + " is malformed");
      }
      final byte[] name = new byte[nameLen];
      cd.get(p + 46, name);
      final Entry entry = entry(in, cd, p, new String(name, StandardCharsets.UTF_8), extraLen);
      entries.put(entry.name, entry);
      p += 46 + nameLen + extraLen + commentLen;
    }
    return new ZipIndex(in, entries);
  }

  private static Entry entry(
      final MappedFile in,
      final ByteBuffer cd,
      final int p,
      final String name,
      final int extraLen) {
    final int method = cd.getShort(p + 10) & 0xFFFF;
    final int crc = cd.getInt(p + 16);
    long csize = cd.getInt(p + 20) & U32_MAX;
    long usize = cd.getInt(p + 24) & U32_MAX;
    long local = cd.getInt(p + 42) & U32_MAX;
    // Zip64 extended information (id 1): only the fields that are 0xFFFFFFFF above, in this order.
    int x = p + 46 + (cd.getShort(p + 28) & 0xFFFF);
    final int end = x + extraLen;
    while (x + 4 <= end) {
      final int id = cd.getShort(x) & 0xFFFF;
      final int len = cd.getShort(x + 2) & 0xFFFF;
      if (id == 1) {
        int q = x + 4;
        if (usize == U32_MAX && q + 8 <= x + 4 + len) {
          usize = cd.getLong(q);
          q += 8;
        }
        if (csize == U32_MAX && q + 8 <= x + 4 + len) {
          csize = cd.getLong(q);
          q += 8;
        }
        if (local == U32_MAX && q + 8 <= x + 4 + len) {
          local = cd.getLong(q);
        }
      }
      x += 4 + len;
    }
    if (usize < 0 || csize < 0 || local < 0 || local + csize > in.size()) {
      throw new CheckpointException(
          in.path(),
          "zip entry "
              + name
              + " ("
              + csize
              + " bytes at "
              + local
              + ") lies outside the file of "
              + in.size()
              + " bytes; the file is truncated or"
              + " corrupt, download it again");
    }
    return new Entry(name, method, usize, csize, crc, local);
  }

  private static long findEocd(final MappedFile in) {
    final long size = in.size();
    final int window = (int) Math.min(size, EOCD_BYTES + MAX_COMMENT);
    final long start = size - window;
    final ByteBuffer tail = in.read(start, window);
    for (int i = window - EOCD_BYTES; i >= 0; i--) {
      if (tail.getInt(i) == EOCD_SIG
          && i + EOCD_BYTES + (tail.getShort(i + 20) & 0xFFFF) == window) {
        return start + i;
      }
    }
    throw new CheckpointException(
        in.path(),
        "is not a complete zip archive (no end-of-central-"
            + "directory record at its end): the file is truncated or corrupt, download or save it"
            + " again");
  }

  private static ByteBuffer zip64Record(final MappedFile in, final long eocd) {
    final ByteBuffer loc = in.read(eocd - 20, 20);
    if (eocd < 20 || loc.getInt(0) != EOCD64_LOCATOR_SIG) {
      throw corrupt(in, "it needs Zip64 but has no Zip64 locator");
    }
    final long at = loc.getLong(8);
    final ByteBuffer z = in.read(at, 56);
    if (at < 0 || z.remaining() < 56 || z.getInt(0) != EOCD64_SIG) {
      throw corrupt(in, "its Zip64 end-of-central-directory record is missing");
    }
    return z;
  }

  private static CheckpointException corrupt(final MappedFile in, final String what) {
    return new CheckpointException(
        in.path(),
        "is a damaged zip archive: "
            + what
            + "; the file is truncated or corrupt, download or save it again");
  }

  /** Entries by name, in central-directory order. */
  Map<String, Entry> entries() {
    return entries;
  }

  /** Absolute file offset of an entry's data (after its local header). */
  long dataOffset(final Entry e) {
    final ByteBuffer h = in.read(e.localHeader(), 30);
    if (h.remaining() < 30 || h.getInt(0) != LOCAL_SIG) {
      throw corrupt(in, "the local header of " + e.name() + " is missing");
    }
    final long at = e.localHeader() + 30 + (h.getShort(26) & 0xFFFF) + (h.getShort(28) & 0xFFFF);
    if (at + e.compressedSize() > in.size()) {
      throw new CheckpointException(
          in.path(),
          "file is truncated: zip entry "
              + e.name()
              + " needs bytes up to "
              + (at + e.compressedSize())
              + " but the file has "
              + in.size()
              + "; download or save it again");
    }
    return at;
  }
}
