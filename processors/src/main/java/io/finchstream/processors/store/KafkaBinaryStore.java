package io.finchstream.processors.store;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/** A {@link BinaryStore} backed by a Kafka Streams key-value store (RocksDB + changelog). */
public final class KafkaBinaryStore implements BinaryStore {

  private final KeyValueStore<Bytes, byte[]> store;

  public KafkaBinaryStore(final KeyValueStore<Bytes, byte[]> store) {
    this.store = store;
  }

  @Override
  public byte[] get(final Bytes key) {
    return store.get(key);
  }

  @Override
  public void put(final Bytes key, final byte[] value) {
    store.put(key, value);
  }

  @Override
  public void delete(final Bytes key) {
    store.delete(key);
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> range(final Bytes from, final Bytes to) {
    return store.range(from, to);
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> reverseRange(final Bytes from, final Bytes to) {
    return store.reverseRange(from, to);
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> prefixScan(final Bytes prefix) {
    return store.prefixScan(prefix, Serdes.Bytes().serializer());
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> all() {
    return store.all();
  }
}
