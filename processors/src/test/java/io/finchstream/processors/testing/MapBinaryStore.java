package io.finchstream.processors.testing;

import io.finchstream.processors.store.BinaryStore;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;

/**
 * A {@link BinaryStore} over a sorted map with RocksDB's byte order: holds the contents of a
 * changelog topic read back from Kafka, so {@link DurableState} can rebuild states from exactly
 * what Kafka has durably.
 */
public final class MapBinaryStore implements BinaryStore {

  private final NavigableMap<Bytes, byte[]> map = new TreeMap<>();

  @Override
  public byte[] get(final Bytes key) {
    return map.get(key);
  }

  @Override
  public void put(final Bytes key, final byte[] value) {
    if (value == null) {
      map.remove(key);
    } else {
      map.put(key, value);
    }
  }

  @Override
  public void delete(final Bytes key) {
    map.remove(key);
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> range(final Bytes from, final Bytes to) {
    return iterator(map.subMap(from, true, to, true));
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> reverseRange(final Bytes from, final Bytes to) {
    return iterator(map.subMap(from, true, to, true).descendingMap());
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> prefixScan(final Bytes prefix) {
    final NavigableMap<Bytes, byte[]> tail = map.tailMap(prefix, true);
    final Map<Bytes, byte[]> matching = new TreeMap<>();
    for (final Map.Entry<Bytes, byte[]> e : tail.entrySet()) {
      if (!startsWith(e.getKey().get(), prefix.get())) {
        break;
      }
      matching.put(e.getKey(), e.getValue());
    }
    return iterator(matching);
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> all() {
    return iterator(map);
  }

  /** Number of entries. */
  public int size() {
    return map.size();
  }

  private static boolean startsWith(final byte[] key, final byte[] prefix) {
    if (key.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (key[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static KeyValueIterator<Bytes, byte[]> iterator(final Map<Bytes, byte[]> view) {
    final Iterator<Map.Entry<Bytes, byte[]>> it = new ArrayList<>(view.entrySet()).iterator();
    return new KeyValueIterator<>() {
      @Override
      public void close() {}

      @Override
      public Bytes peekNextKey() {
        throw new UnsupportedOperationException();
      }

      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public KeyValue<Bytes, byte[]> next() {
        final Map.Entry<Bytes, byte[]> e = it.next();
        return KeyValue.pair(e.getKey(), e.getValue());
      }
    };
  }
}
