package io.finchstream.app;

import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.DeadLetter;
import io.finchstream.proto.v1.Reply;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads replies (and dead letters) as a client does: read_committed, so only what committed
 * transactions wrote is seen; either from now on ({@link #fromEnd}) or from the beginning.
 */
final class ReplyFollower implements AutoCloseable {

  /** Receives what arrives; returns false to stop following. */
  interface Handler {
    boolean reply(Reply reply);

    default boolean deadLetter(final DeadLetter deadLetter) {
      return true;
    }
  }

  private final KafkaConsumer<byte[], byte[]> consumer;

  private ReplyFollower(final KafkaConsumer<byte[], byte[]> consumer) {
    this.consumer = consumer;
  }

  /** Follows {@code topics} from their current end (what is written from now on). */
  static ReplyFollower fromEnd(final String bootstrap, final List<String> topics) {
    return open(bootstrap, topics, false);
  }

  /** Follows {@code topics} from their beginning. */
  static ReplyFollower fromBeginning(final String bootstrap, final List<String> topics) {
    return open(bootstrap, topics, true);
  }

  private static ReplyFollower open(
      final String bootstrap, final List<String> topics, final boolean beginning) {
    final Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "finchstream-cli-" + UUID.randomUUID());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    final KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p);
    final List<TopicPartition> partitions =
        topics.stream()
            .flatMap(
                t -> {
                  final var infos = consumer.partitionsFor(t, Duration.ofSeconds(30));
                  if (infos == null || infos.isEmpty()) {
                    throw new IllegalStateException(
                        "topic "
                            + t
                            + " does not exist at "
                            + bootstrap
                            + " (is the service running?)");
                  }
                  return infos.stream().map(i -> new TopicPartition(t, i.partition()));
                })
            .toList();
    consumer.assign(partitions);
    if (beginning) {
      consumer.seekToBeginning(partitions);
    } else {
      consumer.seekToEnd(partitions);
      partitions.forEach(consumer::position);
    }
    return new ReplyFollower(consumer);
  }

  /**
   * Polls until the handler says stop or {@code timeout} passes; returns true if the handler
   * stopped it.
   */
  boolean follow(final Handler handler, final Duration timeout) throws Exception {
    final long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        final boolean more =
            r.topic().equals(Topics.DLQ)
                ? handler.deadLetter(DeadLetter.parseFrom(r.value()))
                : handler.reply(Reply.parseFrom(r.value()));
        if (!more) {
          return true;
        }
      }
    }
    return false;
  }

  @Override
  public void close() {
    consumer.close();
  }
}
