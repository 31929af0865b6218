package io.finchstream.processors.integration;

import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.testing.CrashScenario;
import io.finchstream.processors.testing.KafkaTestCluster;
import java.nio.file.Path;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A single instance killed with SIGKILL mid-stream and started again on its own state directory (as
 * {@code finchstream up} after a crash): exactly-once holds, and with transactional state stores
 * the local state is kept, so the restart restores only a small part of the changelogs instead of
 * all of them.
 */
class CrashRestartTest {

  @TempDir Path dir;

  // Disabled, a known defect (issue 14 note, docs/PROCESSORS.md "Not done yet"): since the
  // reliability branch met main, the generations sent after the restart (waves 4 and 5) never get
  // a final reply within 5 minutes, while every generation resumed from before the kill finishes.
  // Reproduced on the reliability branch alone; the cause is not found yet. Run it with
  // -Dtest=CrashRestartTest after removing this line.
  @Disabled("known defect: new generations after a restart in place never finish (issue 14)")
  @Test
  void shouldKeepLocalStateAndExactlyOnceWhenTheOnlyInstanceIsKilledAndRestarted()
      throws Exception {
    try (KafkaTestCluster cluster = KafkaTestCluster.start(1)) {
      new CrashScenario(
              cluster.bootstrapServers(),
              cluster.replicationFactor(),
              cluster.producerProps(),
              cluster.consumerProps(),
              dir)
          // Small memtables: RocksDB flushes often, as it does with real state sizes.
          .with(FinchstreamConfig.ROCKSDB_WRITE_BUFFER_BYTES_CONFIG, 1L << 20)
          // Without transactional state stores the restart restores more than everything (the
          // startup check and the task both start from scratch): 880 records of 440 here.
          .runRestartInPlace(0.5);
    }
  }
}
