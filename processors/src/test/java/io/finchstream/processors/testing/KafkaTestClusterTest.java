package io.finchstream.processors.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class KafkaTestClusterTest {

  @Test
  void shouldServeProduceAndConsumeOnOneBroker() throws Exception {
    try (KafkaTestCluster cluster = KafkaTestCluster.start(1)) {
      cluster.createTopics(2, "t");
      try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(cluster.producerProps())) {
        for (int i = 0; i < 10; i++) {
          p.send(new ProducerRecord<>("t", new byte[] {(byte) i}, new byte[] {(byte) (i * 2)}))
              .get();
        }
      }
      final List<Integer> values = new ArrayList<>();
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cluster.consumerProps())) {
        c.subscribe(List.of("t"));
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (values.size() < 10 && System.nanoTime() < deadline) {
          for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
            values.add((int) r.value()[0]);
          }
        }
      }
      assertThat(values).containsExactlyInAnyOrder(0, 2, 4, 6, 8, 10, 12, 14, 16, 18);
    }
  }
}
