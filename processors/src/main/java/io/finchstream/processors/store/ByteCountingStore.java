package io.finchstream.processors.store;

import java.util.function.LongConsumer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;

/**
 * Decorator: reports the bytes (key + value) of every put, and the key bytes of every delete, to a
 * counter: the bytes this store sends to its changelog. Reads pass through.
 */
public final class ByteCountingStore implements BinaryStore {

  private final BinaryStore inner;
  private final LongConsumer written;

  public ByteCountingStore(final BinaryStore inner, final LongConsumer written) {
    this.inner = inner;
    this.written = written;
  }

  @Override
  public byte[] get(final Bytes key) {
    return inner.get(key);
  }

  @Override
  public void put(final Bytes key, final byte[] value) {
    inner.put(key, value);
    written.accept(key.get().length + (long) value.length);
  }

  @Override
  public void delete(final Bytes key) {
    inner.delete(key);
    written.accept(key.get().length);
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> range(final Bytes from, final Bytes to) {
    return inner.range(from, to);
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> reverseRange(final Bytes from, final Bytes to) {
    return inner.reverseRange(from, to);
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> prefixScan(final Bytes prefix) {
    return inner.prefixScan(prefix);
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> all() {
    return inner.all();
  }
}
