package io.finchstream.processors;

import io.finchstream.proto.ConversationKeys;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Partitions records keyed by conversation id as {@link ConversationKeys} says: by the root of the
 * id's tree, so that {@code root~branch} lands where {@code root} does (and a plain id exactly
 * where Kafka's default partitioner puts it). A producer {@link Partitioner} for clients that write
 * events ({@link #PRODUCER_SETTING}) and a {@link StreamPartitioner} for the topology's fork
 * transfers and the interactive queries.
 */
public final class ConversationPartitioner
    implements Partitioner, StreamPartitioner<String, Object> {

  /** The producer setting that makes a producer partition events this way. */
  public static final Map<String, Object> PRODUCER_SETTING =
      Map.of(ProducerConfig.PARTITIONER_CLASS_CONFIG, ConversationPartitioner.class.getName());

  @Override
  public int partition(
      final String topic,
      final Object key,
      final byte[] keyBytes,
      final Object value,
      final byte[] valueBytes,
      final Cluster cluster) {
    final int partitions = cluster.partitionCountForTopic(topic);
    if (keyBytes == null) {
      return ThreadLocalRandom.current().nextInt(partitions); // no conversation: refused anyway
    }
    return ConversationKeys.partition(new String(keyBytes, StandardCharsets.UTF_8), partitions);
  }

  @Override
  public Optional<Set<Integer>> partitions(
      final String topic,
      final String key,
      final Object value,
      final Headers headers,
      final int numPartitions) {
    return Optional.of(Set.of(ConversationKeys.partition(key, numPartitions)));
  }

  /** Kafka Streams calls the variant with headers; this one only completes the interface. */
  @Override
  @SuppressWarnings("removal")
  public Optional<Set<Integer>> partitions(
      final String topic, final String key, final Object value, final int numPartitions) {
    return partitions(topic, key, value, null, numPartitions);
  }

  @Override
  public void configure(final Map<String, ?> configs) {}

  @Override
  public void close() {}
}
