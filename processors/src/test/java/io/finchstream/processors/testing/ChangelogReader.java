package io.finchstream.processors.testing;

import io.finchstream.processors.StoreNames;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Bytes;

/**
 * Reads the stores' changelog topics back from Kafka (read_committed, to their end) into maps: the
 * durable state as Kafka has it, independent of any instance's local RocksDB.
 */
public final class ChangelogReader {

  private ChangelogReader() {}

  /** The changelog topic of {@code store} for application {@code applicationId}. */
  public static String topic(final String applicationId, final String store) {
    return applicationId + "-" + store + "-changelog";
  }

  /** Every store's committed contents, plus the largest record value seen per store. */
  public static Contents read(final Properties consumerProps, final String applicationId) {
    final Map<String, MapBinaryStore> stores = new HashMap<>();
    final Map<String, Integer> largest = new HashMap<>();
    long records = 0;
    final Properties props = new Properties();
    props.putAll(consumerProps);
    props.put("max.partition.fetch.bytes", Integer.toString(64 << 20));
    props.put("fetch.max.bytes", Integer.toString(64 << 20));
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      for (final String store : StoreNames.ALL) {
        final MapBinaryStore map = new MapBinaryStore();
        stores.put(store, map);
        final List<PartitionInfo> infos = consumer.partitionsFor(topic(applicationId, store));
        if (infos == null || infos.isEmpty()) {
          continue;
        }
        final List<TopicPartition> partitions =
            infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        final Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        int max = 0;
        while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
          for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            map.put(Bytes.wrap(r.key()), r.value());
            records++;
            max = Math.max(max, r.serializedValueSize() + r.serializedKeySize());
          }
        }
        largest.put(store, max);
      }
    }
    return new Contents(stores, largest, records);
  }

  /**
   * What was read: each store's contents, its largest record, and how many committed records there
   * were (what a full restore replays).
   */
  public record Contents(
      Map<String, MapBinaryStore> stores, Map<String, Integer> largestRecordBytes, long records) {
    /** A {@link DurableState} over these contents. */
    public DurableState durable() {
      return new DurableState(stores::get);
    }
  }
}
