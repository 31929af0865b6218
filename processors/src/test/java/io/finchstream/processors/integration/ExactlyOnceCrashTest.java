package io.finchstream.processors.integration;

import io.finchstream.processors.testing.CrashScenario;
import io.finchstream.processors.testing.KafkaTestCluster;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once v2 on a real three-broker KRaft cluster: an instance is killed with SIGKILL
 * mid-stream, another takes over, a third joins; every Generate gets exactly one complete reply and
 * every conversation's state equals a direct engine replay of its events, bit for bit.
 */
class ExactlyOnceCrashTest {

  @TempDir Path dir;

  @Test
  void shouldAdvanceEveryConversationExactlyOnceWhenAnInstanceIsKilledMidStream() throws Exception {
    try (KafkaTestCluster cluster = KafkaTestCluster.start(3)) {
      new CrashScenario(
              cluster.bootstrapServers(),
              cluster.replicationFactor(),
              cluster.producerProps(),
              cluster.consumerProps(),
              dir)
          .run();
    }
  }
}
