package io.finchstream.processors.live;

import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.FinchstreamMetrics;
import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.LiveToken;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live tokens on {@code finchstream.tokens}, through a producer of this instance's own
 * (thread-safe, shared by every decode thread), not the Streams producer: records of a
 * transactional producer are invisible to read_committed readers until the commit, which is the
 * delay this avoids.
 *
 * <p>The producer is tuned for latency and for never holding up a decode thread: linger 0 (a draw
 * leaves at once; the draws of one decode round still travel in one request), acks=1 (a preview;
 * the committed replies are the durable copy), one request in flight per broker (so retries keep
 * the order, and draws that pile up while a request is in flight go in the next one), {@code
 * max.block.ms} 0 ({@code send} never waits for metadata or buffer space: such a draw is dropped
 * and counted), the topic's metadata fetched before the first draw ({@link #awaitTopic}) and never
 * expired, and a delivery timeout of a few seconds (a late preview is worthless). A dropped or
 * failed draw is only late: a reader shows nothing out of order, so that generation's tokens reach
 * it at its next commit instead.
 */
public final class KafkaLiveTokens implements LiveTokens, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaLiveTokens.class);

  /** Settings this class depends on; they win over any override. */
  static final Map<String, Object> REQUIRED =
      Map.of(
          ProducerConfig.ACKS_CONFIG,
          "1",
          ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
          false,
          ProducerConfig.LINGER_MS_CONFIG,
          0,
          ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
          1,
          ProducerConfig.MAX_BLOCK_MS_CONFIG,
          0L,
          ProducerConfig.METADATA_MAX_IDLE_CONFIG,
          Long.MAX_VALUE / 2,
          ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
          5_000,
          ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
          4_000,
          ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
          ByteArraySerializer.class.getName(),
          ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
          ByteArraySerializer.class.getName());

  /** Client settings of the {@code streams.} overrides that a plain producer shares. */
  private static final Set<String> SHARED_SETTINGS = ProducerConfig.configNames();

  private final Producer<byte[], byte[]> producer;
  private final FinchstreamMetrics metrics;
  private final KafkaClientMetrics clientMetrics;
  private volatile boolean ready;

  /**
   * @param producer the producer to publish with (closed by {@link #close}); its client metrics
   *     (records and requests sent, latencies) join {@code metrics}' registry
   */
  public KafkaLiveTokens(
      final Producer<byte[], byte[]> producer, final FinchstreamMetrics metrics) {
    this.producer = producer;
    this.metrics = metrics;
    this.clientMetrics = new KafkaClientMetrics(producer);
    clientMetrics.bindTo(metrics.registry());
  }

  /** A producer for {@code config}'s cluster (not connected until {@link #awaitTopic}). */
  public static KafkaLiveTokens create(
      final FinchstreamConfig config, final FinchstreamMetrics metrics) {
    return new KafkaLiveTokens(new KafkaProducer<>(producerSettings(config)), metrics);
  }

  /**
   * The producer's settings: the cluster, the client settings among the {@code streams.} overrides
   * (security, DNS, ...; not those with a {@code producer.} or other client prefix), then {@link
   * #REQUIRED}.
   */
  static Map<String, Object> producerSettings(final FinchstreamConfig config) {
    final Map<String, Object> p = new HashMap<>();
    p.put(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
        config.getString(FinchstreamConfig.BOOTSTRAP_SERVERS_CONFIG));
    config
        .streamsOverrides()
        .forEach(
            (k, v) -> {
              if (SHARED_SETTINGS.contains(k)) {
                p.put(k, v);
              }
            });
    p.put(
        ProducerConfig.CLIENT_ID_CONFIG,
        config.getString(FinchstreamConfig.APPLICATION_ID_CONFIG) + "-live-tokens");
    p.putAll(REQUIRED);
    return p;
  }

  /**
   * Fetches the topic's metadata, waiting at most {@code timeout}; until this succeeds nothing is
   * published. Returns whether it did (false: the topic is missing or Kafka does not answer; a
   * warning says so, and replies stream at the commit cadence).
   */
  public boolean awaitTopic(final Duration timeout) throws InterruptedException {
    final long deadline = System.nanoTime() + timeout.toNanos();
    String problem = "no answer";
    while (System.nanoTime() < deadline) {
      try {
        final List<PartitionInfo> partitions = producer.partitionsFor(Topics.TOKENS);
        if (partitions != null && !partitions.isEmpty()) {
          ready = true;
          LOG.info(
              "live tokens: publishing every draw to {} ({} partitions)",
              Topics.TOKENS,
              partitions.size());
          return true;
        }
        problem = "the topic has no partitions";
      } catch (final KafkaException e) {
        // max.block.ms is 0: the metadata request is on its way; ask again shortly.
        problem = e.getMessage();
      }
      Thread.sleep(50);
    }
    LOG.warn(
        "live tokens off: topic {} is not available ({}); replies reach clients at each commit"
            + " only (create the topic, or restart with topics.create=true)",
        Topics.TOKENS,
        problem);
    return false;
  }

  @Override
  public boolean enabled() {
    return ready;
  }

  @Override
  @SuppressWarnings("FutureReturnValueIgnored") // the callback counts failures
  public void publish(final String conversation, final LiveToken token) {
    if (!ready) {
      return;
    }
    try {
      producer.send(
          new ProducerRecord<>(
              Topics.TOKENS, conversation.getBytes(StandardCharsets.UTF_8), token.toByteArray()),
          this::onSent);
    } catch (final KafkaException | IllegalStateException e) {
      metrics.liveToken(false);
    }
  }

  private void onSent(final RecordMetadata metadata, final Exception e) {
    metrics.liveToken(e == null);
  }

  /** Closes the producer: sends what is queued for at most two seconds. */
  @Override
  public void close() {
    ready = false;
    try {
      producer.close(Duration.ofSeconds(2));
    } finally {
      clientMetrics.close();
    }
  }
}
