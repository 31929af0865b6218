package io.finchstream.processors.testing;

import io.finchstream.processors.FinchstreamConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Service configurations for broker-backed tests: fast rebalances and failure detection. */
public final class ServiceConfigs {

  private ServiceConfigs() {}

  /** A configuration for one instance of application {@code applicationId}. */
  public static Map<String, Object> forTest(
      final String bootstrap,
      final String applicationId,
      final Path stateDir,
      final int partitions,
      final short replication) {
    final Map<String, Object> props = new HashMap<>();
    props.put(FinchstreamConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(FinchstreamConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(FinchstreamConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(FinchstreamConfig.TOPIC_PARTITIONS_CONFIG, partitions);
    props.put(FinchstreamConfig.TOPIC_REPLICATION_CONFIG, replication);
    props.put(FinchstreamConfig.HOT_CACHE_MAX_BYTES_CONFIG, 64L << 20);
    props.put(FinchstreamConfig.ROCKSDB_BLOCK_CACHE_BYTES_CONFIG, 16L << 20);
    props.put(FinchstreamConfig.ROCKSDB_WRITE_BUFFER_BYTES_CONFIG, 4L << 20);
    props.put("streams.session.timeout.ms", "6000");
    props.put("streams.heartbeat.interval.ms", "1000");
    props.put("streams.replication.factor", Short.toString(replication));
    return props;
  }
}
