package io.finchstream.processors.store;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;

/**
 * A typed view of a {@link BinaryStore} whose values are one Protobuf message type. A value that
 * does not parse is a corrupt store: {@link StoreCorruptedException}.
 *
 * @param <T> the message type
 */
public final class ProtoStore<T extends MessageLite> {

  private final String name;
  private final BinaryStore bytes;
  private final Parser<T> parser;

  public ProtoStore(final String name, final BinaryStore bytes, final Parser<T> parser) {
    this.name = name;
    this.bytes = bytes;
    this.parser = parser;
  }

  /** The store's name (for messages). */
  public String name() {
    return name;
  }

  /** The value of {@code key}, or null. */
  public T get(final Bytes key) {
    final byte[] v = bytes.get(key);
    return v == null ? null : parse(key, v);
  }

  public void put(final Bytes key, final T value) {
    bytes.put(key, value.toByteArray());
  }

  public void delete(final Bytes key) {
    bytes.delete(key);
  }

  /** Entries with {@code from <= key <= to}, ascending, at most {@code limit}. */
  public List<KeyValue<Bytes, T>> range(final Bytes from, final Bytes to, final int limit) {
    try (KeyValueIterator<Bytes, byte[]> it = bytes.range(from, to)) {
      return collect(it, limit);
    }
  }

  /** The entry with the greatest key in {@code [from, to]}, or null. */
  public KeyValue<Bytes, T> last(final Bytes from, final Bytes to) {
    try (KeyValueIterator<Bytes, byte[]> it = bytes.reverseRange(from, to)) {
      if (!it.hasNext()) {
        return null;
      }
      final KeyValue<Bytes, byte[]> kv = it.next();
      return KeyValue.pair(kv.key, parse(kv.key, kv.value));
    }
  }

  /** Every entry whose key starts with {@code prefix}, ascending. */
  public List<KeyValue<Bytes, T>> prefixScan(final Bytes prefix) {
    try (KeyValueIterator<Bytes, byte[]> it = bytes.prefixScan(prefix)) {
      return collect(it, Integer.MAX_VALUE);
    }
  }

  /** The keys with {@code prefix} (values not parsed), ascending. */
  public List<Bytes> keysWithPrefix(final Bytes prefix) {
    final List<Bytes> keys = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it = bytes.prefixScan(prefix)) {
      while (it.hasNext()) {
        keys.add(it.next().key);
      }
    }
    return keys;
  }

  /** The keys in {@code [from, to]} (values not parsed), ascending. */
  public List<Bytes> keysInRange(final Bytes from, final Bytes to) {
    final List<Bytes> keys = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it = bytes.range(from, to)) {
      while (it.hasNext()) {
        keys.add(it.next().key);
      }
    }
    return keys;
  }

  /** Deletes every entry whose key starts with {@code prefix}. */
  public void deletePrefix(final Bytes prefix) {
    keysWithPrefix(prefix).forEach(bytes::delete);
  }

  /** Every entry of the store (all conversations of this task), in key order. */
  public void forEach(final BiConsumer<Bytes, T> action) {
    try (KeyValueIterator<Bytes, byte[]> it = bytes.all()) {
      while (it.hasNext()) {
        final KeyValue<Bytes, byte[]> kv = it.next();
        action.accept(kv.key, parse(kv.key, kv.value));
      }
    }
  }

  private List<KeyValue<Bytes, T>> collect(
      final KeyValueIterator<Bytes, byte[]> it, final int limit) {
    final List<KeyValue<Bytes, T>> out = new ArrayList<>();
    while (it.hasNext() && out.size() < limit) {
      final KeyValue<Bytes, byte[]> kv = it.next();
      out.add(KeyValue.pair(kv.key, parse(kv.key, kv.value)));
    }
    return out;
  }

  private T parse(final Bytes key, final byte[] value) {
    try {
      return parser.parseFrom(value);
    } catch (final InvalidProtocolBufferException e) {
      throw new StoreCorruptedException(
          "store "
              + name
              + ": value of key "
              + key
              + " ("
              + value.length
              + " bytes) does not parse: "
              + e.getMessage(),
          e);
    }
  }
}
