package io.finchstream.app;

import com.sun.management.OperatingSystemMXBean;
import io.finchstream.processors.ConversationPartitioner;
import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.FinchstreamService;
import io.finchstream.processors.LoadedModel;
import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.ConversationEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.DoubleSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * What a service benchmark runs against: an embedded one-broker Kafka and the processors in this
 * JVM (real topics, real transactions), a producer, and the counters a benchmark reads.
 */
final class BenchCluster implements AutoCloseable {

  private final Path dir;
  private final EmbeddedKafka kafka;
  final FinchstreamService service;
  private final KafkaProducer<byte[], byte[]> producer;
  private final List<Future<RecordMetadata>> unflushed = new ArrayList<>();

  BenchCluster(final LoadedModel model, final Map<String, Object> settings) throws Exception {
    dir = Files.createTempDirectory("finchstream-bench-");
    kafka = EmbeddedKafka.start(dir, 0);
    final Map<String, Object> props = new HashMap<>();
    props.put(FinchstreamConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(FinchstreamConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
    props.put(FinchstreamConfig.TOPIC_PARTITIONS_CONFIG, 1);
    props.put(FinchstreamConfig.TOPIC_REPLICATION_CONFIG, (short) 1);
    props.put(FinchstreamConfig.HOT_CACHE_MAX_BYTES_CONFIG, 4L << 30);
    props.putAll(settings);
    service =
        new FinchstreamService(new FinchstreamConfig(props), model, new SimpleMeterRegistry());
    service.start();
    if (!service.awaitRunning(Duration.ofMinutes(2))) {
      throw new IllegalStateException("the processors did not start within 2 minutes");
    }
    final Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.LINGER_MS_CONFIG, "1");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.putAll(ConversationPartitioner.PRODUCER_SETTING);
    producer = new KafkaProducer<>(p);
  }

  String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  /**
   * Sends an event (asynchronously; {@link #flush} to wait and learn whether it was written). Holds
   * one future per event until the next flush.
   */
  void send(final String conversation, final ConversationEvent event) {
    unflushed.add(
        producer.send(
            new ProducerRecord<>(
                Topics.EVENTS,
                conversation.getBytes(StandardCharsets.UTF_8),
                event.toByteArray())));
  }

  /**
   * Waits until the broker has every event sent so far; throws if one was not written (a benchmark
   * would otherwise wait for work that never comes).
   */
  void flush() throws InterruptedException {
    producer.flush();
    try {
      for (final Future<RecordMetadata> f : unflushed) {
        f.get();
      }
    } catch (final ExecutionException e) {
      throw new IllegalStateException(
          "a benchmark event was not written to " + Topics.EVENTS + ": " + e.getCause(),
          e.getCause());
    } finally {
      unflushed.clear();
    }
  }

  /** Total of a processors counter. */
  double counter(final String name, final String... tags) {
    return service.metrics().count(name, tags);
  }

  /** Total bytes written to all state stores (= changelog payload). */
  double storeBytes() {
    return counter("finchstream.store.bytes.written");
  }

  /** Waits until {@code value} reaches {@code target}. */
  static void awaitAtLeast(final DoubleSupplier value, final double target, final Duration timeout)
      throws InterruptedException {
    final long deadline = System.nanoTime() + timeout.toNanos();
    while (value.getAsDouble() < target) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "timed out after "
                + timeout
                + " waiting for "
                + target
                + " (at "
                + value.getAsDouble()
                + ")");
      }
      Thread.sleep(5);
    }
  }

  /** CPU time of this whole process (broker, clients, processors, engine), ns. */
  static long processCpuNanos() {
    return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  @Override
  public void close() throws IOException {
    producer.close();
    service.close();
    kafka.close();
    try (var files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
