package io.finchstream.processors.integration;

import io.finchstream.processors.testing.CrashScenario;
import io.finchstream.processors.testing.KafkaTestCluster;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The exactly-once crash scenario against the official {@code apache/kafka} image, when Docker is
 * available; without Docker the class is skipped (Testcontainers' {@code disabledWithoutDocker}).
 * The image is a single node, so topics have replication factor 1 here; the in-JVM three-broker
 * test ({@link ExactlyOnceCrashTest}) covers replication.
 */
@Testcontainers(disabledWithoutDocker = true)
class ExactlyOnceContainerTest {

  @Container
  static final KafkaContainer KAFKA =
      new KafkaContainer("apache/kafka:4.4.0")
          .withEnv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
          .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
          .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
          .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");

  @TempDir Path dir;

  @Test
  void shouldAdvanceEveryConversationExactlyOnceWhenAnInstanceIsKilledMidStream() throws Exception {
    final String bootstrap = KAFKA.getBootstrapServers();
    new CrashScenario(
            bootstrap,
            (short) 1,
            KafkaTestCluster.producerProps(bootstrap),
            KafkaTestCluster.consumerProps(bootstrap),
            dir)
        .run();
  }
}
