package io.finchstream.processors.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * Real KRaft brokers inside the test JVM: a small wrapper around Kafka's own {@code
 * KafkaClusterTestKit} (an internal, unstable API; kept behind this class so that a Kafka upgrade
 * touches one file). One or three brokers in combined mode with one controller, no initial
 * rebalance delay, and replication factors that fit the broker count. {@link #start} returns only
 * after a topic could be created, written and read with a consumer group (so {@code
 * __consumer_offsets} exists), which {@code waitForReadyBrokers()} alone does not promise.
 *
 * <p>Reused by the gateway's and app's tests through the processors test-jar.
 */
public final class KafkaTestCluster implements AutoCloseable {

  private final KafkaClusterTestKit kit;
  private final int brokers;

  private KafkaTestCluster(final KafkaClusterTestKit kit, final int brokers) {
    this.kit = kit;
    this.brokers = brokers;
  }

  /** Starts a cluster of {@code brokers} (1 or 3) brokers and waits until it really serves. */
  public static KafkaTestCluster start(final int brokers) throws Exception {
    return start(brokers, Map.of());
  }

  /** As {@link #start(int)}, with extra broker properties. */
  public static KafkaTestCluster start(final int brokers, final Map<String, Object> brokerProps)
      throws Exception {
    if (brokers != 1 && brokers != 3) {
      throw new IllegalArgumentException("brokers must be 1 or 3, got " + brokers);
    }
    final TestKitNodes nodes =
        new TestKitNodes.Builder()
            .setCombined(true)
            .setNumBrokerNodes(brokers)
            .setNumControllerNodes(1)
            .build();
    final KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
    final short rf = (short) Math.min(3, brokers);
    builder.setConfigProp("group.initial.rebalance.delay.ms", "0");
    builder.setConfigProp("offsets.topic.replication.factor", Short.toString(rf));
    builder.setConfigProp("offsets.topic.num.partitions", "4");
    builder.setConfigProp("transaction.state.log.replication.factor", Short.toString(rf));
    builder.setConfigProp("transaction.state.log.min.isr", Integer.toString(Math.min(2, brokers)));
    builder.setConfigProp("transaction.state.log.num.partitions", "4");
    builder.setConfigProp("share.coordinator.state.topic.replication.factor", Short.toString(rf));
    builder.setConfigProp(
        "share.coordinator.state.topic.min.isr", Integer.toString(Math.min(2, brokers)));
    builder.setConfigProp("default.replication.factor", Short.toString(rf));
    builder.setConfigProp("min.insync.replicas", Integer.toString(Math.min(2, brokers)));
    builder.setConfigProp("auto.create.topics.enable", "false");
    brokerProps.forEach(builder::setConfigProp);
    final KafkaClusterTestKit kit = builder.build();
    boolean ok = false;
    try {
      kit.format();
      kit.startup();
      kit.waitForReadyBrokers();
      final KafkaTestCluster cluster = new KafkaTestCluster(kit, brokers);
      cluster.verifyReadiness();
      ok = true;
      return cluster;
    } finally {
      if (!ok) {
        kit.close();
      }
    }
  }

  /** {@code host:port,...} of the brokers. */
  public String bootstrapServers() {
    return kit.bootstrapServers();
  }

  /** Number of brokers. */
  public int brokerCount() {
    return brokers;
  }

  /** Replication factor that suits this cluster (3 with three brokers, else 1). */
  public short replicationFactor() {
    return (short) Math.min(3, brokers);
  }

  /** A new admin client; the caller closes it. */
  public Admin admin() {
    final Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    return Admin.create(props);
  }

  /** Creates topics with {@code partitions} partitions and this cluster's replication factor. */
  public void createTopics(final int partitions, final String... names)
      throws ExecutionException, InterruptedException {
    final List<NewTopic> topics = new ArrayList<>();
    for (final String name : names) {
      topics.add(new NewTopic(name, partitions, replicationFactor()));
    }
    try (Admin admin = admin()) {
      admin.createTopics(topics).all().get();
    }
  }

  /** Producer properties for plain byte[] producers against this cluster. */
  public Properties producerProps() {
    return producerProps(bootstrapServers());
  }

  /** Producer properties for plain byte[] producers against {@code bootstrap}. */
  public static Properties producerProps(final String bootstrap) {
    final Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    return props;
  }

  /** Consumer properties (read_committed, earliest, byte[]) with a fresh group id. */
  public Properties consumerProps() {
    return consumerProps(bootstrapServers());
  }

  /**
   * Consumer properties (read_committed, earliest, byte[]) with a fresh group id, against {@code
   * bootstrap}.
   */
  public static Properties consumerProps(final String bootstrap) {
    final Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return props;
  }

  /** Stops broker {@code index} (0-based) without a controlled shutdown of the cluster. */
  public void stopBroker(final int index) {
    final var broker = kit.brokers().values().stream().skip(index).findFirst().orElseThrow();
    broker.shutdown();
  }

  /** Creates a topic, writes a record, reads it back in a consumer group, and deletes the topic. */
  private void verifyReadiness() throws Exception {
    final String topic = "readiness-" + UUID.randomUUID();
    createTopics(1, topic);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps())) {
      producer
          .send(new ProducerRecord<>(topic, new byte[] {1}, new byte[] {2}))
          .get(30, TimeUnit.SECONDS);
    }
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps())) {
      consumer.subscribe(List.of(topic));
      final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      boolean seen = false;
      while (!seen && System.nanoTime() < deadline) {
        for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          seen |= r.value().length == 1 && r.value()[0] == 2;
        }
      }
      if (!seen) {
        throw new IllegalStateException("test cluster did not deliver a record within 60 s");
      }
      consumer.commitSync();
    }
    try (Admin admin = admin()) {
      admin.deleteTopics(List.of(topic)).all().get();
    }
  }

  /** Stops the brokers and controllers (keeping the thread's interrupt status if interrupted). */
  @Override
  public void close() {
    try {
      kit.close();
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping the test cluster", e);
    } catch (final Exception e) {
      throw new IllegalStateException("the test cluster did not stop cleanly", e);
    }
  }
}
