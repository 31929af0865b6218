package io.finchstream.app;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka (broker and KRaft controller in one) inside this JVM, for {@code finchstream
 * up}: formatted once under {@code <data>/kafka} (the cluster id is kept there), restarted from the
 * same data on later runs. Replication factors are 1, so it is for development, not production
 * (kafka-notes §1.3).
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

  private final KafkaRaftServer server;
  private final String bootstrap;

  private EmbeddedKafka(final KafkaRaftServer server, final String bootstrap) {
    this.server = server;
    this.bootstrap = bootstrap;
  }

  /**
   * Formats {@code dataDir/kafka} if needed and starts the broker on {@code port} (0: any free
   * port); returns once the broker answers.
   *
   * @throws IllegalStateException if the port is taken or the broker does not come up in 60 s
   */
  public static EmbeddedKafka start(final Path dataDir, final int port) throws Exception {
    final Path dir = dataDir.resolve("kafka");
    final Path logs = dir.resolve("logs");
    Files.createDirectories(logs);
    final String clusterId = clusterId(dir);
    final int brokerPort = port == 0 ? freePort() : checkFree(port);
    final int controllerPort = freePort();
    final Map<String, Object> props = new HashMap<>();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@localhost:" + controllerPort);
    props.put(
        "listeners",
        "PLAINTEXT://localhost:" + brokerPort + ",CONTROLLER://localhost:" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://localhost:" + brokerPort);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
    props.put("log.dirs", logs.toAbsolutePath().toString());
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "6");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "6");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    // Abort a crashed instance's timed-out transaction within a second of its timeout, not ten:
    // its partitions' committed offsets and read_committed readers wait for that.
    props.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
    // After a kill -9 the restarted node finds its own old registration in the metadata log and
    // may register again only once the controller has fenced it for missing heartbeats: after
    // this session timeout (Kafka's default 9 s). Broker and controller are this one process.
    props.put("broker.session.timeout.ms", "3000");
    props.put("broker.heartbeat.interval.ms", "500");
    props.put("auto.create.topics.enable", "false");
    props.put("log.cleaner.dedupe.buffer.size", Integer.toString(8 << 20));
    final KafkaConfig config = new KafkaConfig(props, false);
    new Formatter()
        .setPrintStream(
            new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8))
        .setNodeId(1)
        .setClusterId(clusterId)
        .setDirectories(List.of(logs.toAbsolutePath().toString()))
        .setMetadataLogDirectory(logs.toAbsolutePath().toString())
        .setReleaseVersion(MetadataVersion.latestProduction())
        .setControllerListenerName("CONTROLLER")
        .setIgnoreFormatted(true)
        .run();
    final KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
    server.startup();
    final EmbeddedKafka kafka = new EmbeddedKafka(server, "localhost:" + brokerPort);
    try {
      kafka.awaitReady(Duration.ofSeconds(60));
    } catch (final Exception e) {
      kafka.close();
      throw e;
    }
    LOG.info("embedded Kafka {} ready at {} (data {})", clusterId, kafka.bootstrap, dir);
    return kafka;
  }

  /** {@code localhost:port} of the broker. */
  public String bootstrapServers() {
    return bootstrap;
  }

  private void awaitReady(final Duration timeout) throws Exception {
    final Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(p)) {
      final long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        try {
          admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
          admin.listTopics().names().get(5, TimeUnit.SECONDS);
          return;
        } catch (final Exception e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "the embedded Kafka broker did not come up within " + timeout, e);
          }
          Thread.sleep(200);
        }
      }
    }
  }

  /** The cluster id stored in {@code dir/cluster.id}, created on first use. */
  private static String clusterId(final Path dir) throws IOException {
    final Path file = dir.resolve("cluster.id");
    if (Files.exists(file)) {
      return Files.readString(file, StandardCharsets.UTF_8).trim();
    }
    final String id = Uuid.randomUuid().toString();
    Files.writeString(file, id + "\n", StandardCharsets.UTF_8);
    return id;
  }

  private static int checkFree(final int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress("localhost", port));
      return port;
    } catch (final IOException e) {
      throw new IllegalStateException(
          "port " + port + " is in use; pick another with --port (or stop what uses it)");
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
  }
}
