package io.finchstream.processors.store;

import com.google.protobuf.ByteString;
import io.finchstream.proto.v1.BlobPart;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;

/**
 * Values larger than one Kafka record, split into parts: logical key {@code (conversation, index)}
 * → records {@code (conversation, index, part)} of at most {@code partBytes} payload each, every
 * part carrying the value's version and the part count so a reader can check it got one consistent
 * value. Rewriting a value with fewer parts deletes the leftover parts.
 */
public final class ChunkedBlobs {

  /** A value as stored: its version and bytes. */
  @SuppressWarnings("ArrayRecordComponent") // read by index, never compared or hashed
  public record Blob(long version, byte[] data) {}

  private final ProtoStore<BlobPart> store;
  private final int partBytes;

  public ChunkedBlobs(final ProtoStore<BlobPart> store, final int partBytes) {
    if (partBytes < 1) {
      throw new IllegalArgumentException("partBytes must be positive: " + partBytes);
    }
    this.store = store;
    this.partBytes = partBytes;
  }

  /** Splits {@code data} into parts of at most {@code partBytes} (at least one part). */
  public static List<BlobPart> split(final long version, final byte[] data, final int partBytes) {
    final int parts = Math.max(1, (data.length + partBytes - 1) / partBytes);
    final List<BlobPart> out = new ArrayList<>(parts);
    for (int p = 0; p < parts; p++) {
      final int off = p * partBytes;
      final int len = Math.min(partBytes, data.length - off);
      out.add(
          BlobPart.newBuilder()
              .setVersion(version)
              .setPart(p)
              .setParts(parts)
              .setData(ByteString.copyFrom(data, off, len))
              .build());
    }
    return out;
  }

  /** Stores {@code data} as the value of {@code (conversation, index)}; returns the part count. */
  public int put(
      final String conversation, final long index, final long version, final byte[] data) {
    final List<BlobPart> parts = split(version, data, partBytes);
    for (final BlobPart part : parts) {
      store.put(StoreKey.of(conversation, index, part.getPart()), part);
    }
    deleteParts(conversation, index, parts.size());
    return parts.size();
  }

  /** Stores one part as it is (fork import). */
  public void putPart(final String conversation, final long index, final BlobPart part) {
    store.put(StoreKey.of(conversation, index, part.getPart()), part);
  }

  /** The parts of {@code (conversation, index)} as stored, in order (fork export). */
  public List<BlobPart> parts(final String conversation, final long index) {
    final List<BlobPart> out = new ArrayList<>();
    for (final KeyValue<Bytes, BlobPart> kv : store.prefixScan(StoreKey.of(conversation, index))) {
      out.add(kv.value);
    }
    return out;
  }

  /**
   * The value of {@code (conversation, index)}, or null if there is none.
   *
   * @throws StoreCorruptedException when parts are missing or belong to different versions
   */
  public Blob get(final String conversation, final long index) {
    final List<BlobPart> parts = parts(conversation, index);
    if (parts.isEmpty()) {
      return null;
    }
    final BlobPart first = parts.get(0);
    int total = 0;
    for (final BlobPart part : parts) {
      total += part.getData().size();
    }
    final byte[] out = new byte[total];
    int off = 0;
    for (int p = 0; p < parts.size(); p++) {
      final BlobPart part = parts.get(p);
      if (part.getPart() != p
          || part.getParts() != first.getParts()
          || part.getVersion() != first.getVersion()) {
        throw new StoreCorruptedException(
            "store "
                + store.name()
                + ": value ("
                + conversation
                + ", "
                + index
                + ") has inconsistent parts: part "
                + part.getPart()
                + "/"
                + part.getParts()
                + " v"
                + part.getVersion()
                + " at position "
                + p
                + ", expected "
                + p
                + "/"
                + first.getParts()
                + " v"
                + first.getVersion());
      }
      part.getData().copyTo(out, off);
      off += part.getData().size();
    }
    if (parts.size() != first.getParts()) {
      throw new StoreCorruptedException(
          "store "
              + store.name()
              + ": value ("
              + conversation
              + ", "
              + index
              + ") has "
              + parts.size()
              + " of "
              + first.getParts()
              + " parts");
    }
    return new Blob(first.getVersion(), out);
  }

  /** Deletes the value of {@code (conversation, index)} (every part). */
  public void delete(final String conversation, final long index) {
    store.deletePrefix(StoreKey.of(conversation, index));
  }

  /** Deletes every value of {@code conversation} with index {@code >= fromIndex}. */
  public void deleteFrom(final String conversation, final long fromIndex) {
    store
        .keysInRange(
            StoreKey.of(conversation, fromIndex, 0),
            StoreKey.of(conversation, Long.MAX_VALUE, Integer.MAX_VALUE))
        .forEach(store::delete);
  }

  /** Deletes every value of {@code conversation}. */
  public void deleteAll(final String conversation) {
    store.deletePrefix(StoreKey.prefix(conversation));
  }

  private void deleteParts(final String conversation, final long index, final int fromPart) {
    store
        .keysInRange(
            StoreKey.of(conversation, index, fromPart),
            StoreKey.of(conversation, index, Integer.MAX_VALUE))
        .forEach(store::delete);
  }
}
