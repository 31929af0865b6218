package io.finchstream.processors.store;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;

/**
 * The few operations the processors need from a bytes key-value store. Implemented over a Kafka
 * Streams store ({@link KafkaBinaryStore}) and decorated for separate concerns (e.g. {@link
 * ByteCountingStore}); typed views are {@link ProtoStore}s.
 */
public interface BinaryStore {

  /** The value of {@code key}, or null. */
  byte[] get(Bytes key);

  void put(Bytes key, byte[] value);

  void delete(Bytes key);

  /** Entries with {@code from <= key <= to}, ascending; the caller closes the iterator. */
  KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to);

  /** Entries with {@code from <= key <= to}, descending; the caller closes the iterator. */
  KeyValueIterator<Bytes, byte[]> reverseRange(Bytes from, Bytes to);

  /**
   * Every entry whose key starts with {@code prefix}, ascending; the caller closes the iterator.
   */
  KeyValueIterator<Bytes, byte[]> prefixScan(Bytes prefix);

  /** Every entry, ascending; the caller closes the iterator. */
  KeyValueIterator<Bytes, byte[]> all();
}
