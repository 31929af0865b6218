package io.finchstream.processors;

import io.finchstream.processors.conversation.MemoryBudget;
import io.finchstream.processors.conversation.ProcessorSettings;
import io.finchstream.processors.live.KafkaLiveTokens;
import io.finchstream.processors.live.LiveTokens;
import io.finchstream.processors.store.BoundedMemoryRocksDBConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processors as a service: creates the topics (if configured), builds the topology for a model
 * and runs it with Kafka Streams under exactly-once v2. The app starts one of these for {@code
 * finchstream up} and {@code finchstream serve}; the gateway queries it through {@link #queries()}.
 */
public final class FinchstreamService implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(FinchstreamService.class);

  /** How long {@link #start} waits for the live-token topic's metadata. */
  private static final Duration LIVE_TOPIC_WAIT = Duration.ofSeconds(30);

  /**
   * Shortest transaction timeout: a stream thread's transaction spans one commit interval (100 ms
   * under exactly-once) plus at most one compute budget, far below it.
   */
  static final int TRANSACTION_TIMEOUT_FLOOR_MS = 5_000;

  private final FinchstreamConfig config;
  private final LoadedModel model;
  private final FinchstreamMetrics metrics;
  private final KafkaStreams streams;
  private final KafkaLiveTokens live;
  private final ConversationQueries queries;
  private final CountDownLatch running = new CountDownLatch(1);

  public FinchstreamService(
      final FinchstreamConfig config, final LoadedModel model, final MeterRegistry registry) {
    this.config = config;
    this.model = model;
    this.metrics = new FinchstreamMetrics(registry);
    final ProcessorSettings settings = ProcessorSettings.from(config);
    final MemoryBudget budget =
        new MemoryBudget(config.getLong(FinchstreamConfig.HOT_CACHE_MAX_BYTES_CONFIG));
    this.live =
        config.getBoolean(FinchstreamConfig.LIVE_TOKENS_CONFIG)
            ? KafkaLiveTokens.create(config, metrics)
            : null;
    final Properties properties = streamsProperties(config);
    if (config.getBoolean(FinchstreamConfig.STATIC_MEMBERSHIP_CONFIG)
        && !properties.containsKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG)) {
      // Kafka Streams appends each stream thread's index.
      properties.put(
          StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
          MemberId.of(Path.of(config.getString(FinchstreamConfig.STATE_DIR_CONFIG))));
    }
    this.streams =
        new SafeMetricsStreams(
            ConversationTopology.build(model, settings, budget, metrics, liveTokens()), properties);
    this.streams.setGlobalStateRestoreListener(new RestoreLog(metrics));
    this.streams.setUncaughtExceptionHandler(new LoggingExceptionHandler());
    this.streams.setStateListener(
        (now, before) -> {
          LOG.info("streams state {} -> {}", before, now);
          if (now == KafkaStreams.State.RUNNING) {
            running.countDown();
          }
        });
    final String server = config.getString(FinchstreamConfig.APPLICATION_SERVER_CONFIG);
    this.queries =
        new ConversationQueries(
            streams, server.isBlank() ? null : HostInfo.buildFromEndpoint(server));
  }

  /**
   * The Kafka Streams properties for {@code config}: exactly-once v2, bounded RocksDB memory, the
   * producer's request size raised together with the record sizes, then every {@code streams.*}
   * override.
   */
  public static Properties streamsProperties(final FinchstreamConfig config) {
    final Properties p = new Properties();
    p.put(
        StreamsConfig.APPLICATION_ID_CONFIG,
        config.getString(FinchstreamConfig.APPLICATION_ID_CONFIG));
    p.put(
        StreamsConfig.BOOTSTRAP_SERVERS_CONFIG,
        config.getString(FinchstreamConfig.BOOTSTRAP_SERVERS_CONFIG));
    p.put(StreamsConfig.STATE_DIR_CONFIG, config.getString(FinchstreamConfig.STATE_DIR_CONFIG));
    final String server = config.getString(FinchstreamConfig.APPLICATION_SERVER_CONFIG);
    if (!server.isBlank()) {
      p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, server);
    }
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(
        StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG,
        BoundedMemoryRocksDBConfig.class.getName());
    p.put(
        BoundedMemoryRocksDBConfig.BLOCK_CACHE_BYTES,
        config.getLong(FinchstreamConfig.ROCKSDB_BLOCK_CACHE_BYTES_CONFIG));
    p.put(
        BoundedMemoryRocksDBConfig.WRITE_BUFFER_BYTES,
        config.getLong(FinchstreamConfig.ROCKSDB_WRITE_BUFFER_BYTES_CONFIG));
    // Dead letters carry the original record (up to ~1 MB) and state records carry up to
    // snapshot.part.bytes of payload: the producer's limit covers both.
    final int stateRecord =
        ConversationTopology.maxRecordBytes(
            config.getInt(FinchstreamConfig.SNAPSHOT_PART_BYTES_CONFIG));
    p.put(
        StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
        Math.max(TopicAdmin.DLQ_MAX_MESSAGE_BYTES, stateRecord));
    // Idle topics still need frequent punctuation (generation steps): poll briefly.
    p.put(StreamsConfig.POLL_MS_CONFIG, 5L);
    // Lag is counted in records; state records are large, so a warm-up replica is "caught up"
    // sooner.
    p.put(StreamsConfig.ACCEPTABLE_RECOVERY_LAG_CONFIG, 1000L);
    // Failover and restart (docs/PROCESSORS.md, "Failover and restart").
    p.put(
        StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG,
        config.getInt(FinchstreamConfig.STANDBY_REPLICAS_CONFIG));
    final int session = config.getInt(FinchstreamConfig.SESSION_TIMEOUT_MS_CONFIG);
    p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, session);
    // Frequent heartbeats: the members learn of a rebalance (a dead instance found) sooner.
    p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Math.min(session / 4, 500));
    // The new owner of a dead instance's tasks cannot read their committed input offsets until the
    // dead instance's open transaction is aborted, which the transaction coordinator does once it
    // times out: as soon as the session timeout, not Kafka Streams' 10 s.
    p.put(
        StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG),
        Math.max(session, TRANSACTION_TIMEOUT_FLOOR_MS));
    p.put(
        StreamsConfig.TRANSACTIONAL_STATE_STORES_CONFIG,
        config.getBoolean(FinchstreamConfig.TRANSACTIONAL_STATE_CONFIG));
    // No global stores here; opting in now silences the 4.x deprecation warning at every start.
    p.put("processing.exception.handler.global.enabled", true);
    p.putAll(config.streamsOverrides());
    return p;
  }

  /** Creates the topics if configured, then starts processing; returns at once. */
  public void start() throws Exception {
    if (config.getBoolean(FinchstreamConfig.CREATE_TOPICS_CONFIG)) {
      final Properties admin = new Properties();
      admin.put(
          AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
          config.getString(FinchstreamConfig.BOOTSTRAP_SERVERS_CONFIG));
      try (Admin client = Admin.create(admin)) {
        TopicAdmin.ensureTopics(
            client,
            config.getInt(FinchstreamConfig.TOPIC_PARTITIONS_CONFIG),
            config.getShort(FinchstreamConfig.TOPIC_REPLICATION_CONFIG));
      }
    }
    if (live != null) {
      live.awaitTopic(LIVE_TOPIC_WAIT);
    }
    LOG.info(
        "starting: model {} ({}, vocab {}), application {}, brokers {}",
        model.label(),
        model.info().architecture(),
        model.info().vocabSize(),
        config.getString(FinchstreamConfig.APPLICATION_ID_CONFIG),
        config.getString(FinchstreamConfig.BOOTSTRAP_SERVERS_CONFIG));
    streams.start();
  }

  /** Waits until the service is RUNNING (it has tasks and processes); false on timeout. */
  public boolean awaitRunning(final Duration timeout) throws InterruptedException {
    return running.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The Kafka Streams state (CREATED, REBALANCING, RUNNING, ...). */
  public KafkaStreams.State state() {
    return streams.state();
  }

  /** Interactive queries on conversation metadata. */
  public ConversationQueries queries() {
    return queries;
  }

  public FinchstreamMetrics metrics() {
    return metrics;
  }

  public LoadedModel model() {
    return model;
  }

  /** The underlying Kafka Streams client (metrics, metadata). */
  public KafkaStreams streams() {
    return streams;
  }

  /**
   * Stops processing and leaves the consumer group at once, so the remaining instances take over
   * without waiting for the session timeout. A close that does not finish in time is logged (its
   * threads are left to stop on their own).
   */
  @Override
  public void close() {
    final Duration timeout = Duration.ofSeconds(30);
    try {
      final boolean closed =
          streams.close(
              CloseOptions.groupMembershipOperation(
                      CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                  .withTimeout(timeout));
      if (!closed) {
        LOG.warn(
            "Kafka Streams did not close within {}; its threads are still stopping (state {})",
            timeout,
            streams.state());
      }
    } finally {
      if (live != null) {
        live.close();
      }
    }
  }

  /** Where decode rounds publish draws: the live-token producer, or {@link LiveTokens#OFF}. */
  public LiveTokens liveTokens() {
    return live == null ? LiveTokens.OFF : live;
  }

  /**
   * Kafka Streams whose {@link #metrics()} (what {@code /metrics} binds and scrapes, through
   * Micrometer's {@code KafkaStreamsMetrics}) leaves out the transactional state stores' {@value
   * #UNSAFE_GAUGE} gauges. Kafka Streams 4.4 registers that gauge reading the store's RocksDB write
   * batch without checking that the store is still open; read from another thread while a task
   * closes (a rebalance, or a fenced producer after a missed heartbeat), it reads the freed native
   * batch and the JVM dies with SIGSEGV in {@code WriteBatch.getDataSize} (seen in ScaleOutTest:
   * the {@code micrometer-kafka-metrics} thread crashed {@code up}, and its gateway then refused
   * connections).
   */
  static final class SafeMetricsStreams extends KafkaStreams {

    /** The gauge left out. */
    static final String UNSAFE_GAUGE = "uncommitted-bytes";

    SafeMetricsStreams(final Topology topology, final Properties properties) {
      super(topology, properties);
    }

    @Override
    public Map<MetricName, ? extends Metric> metrics() {
      final Map<MetricName, Metric> kept = new LinkedHashMap<>();
      super.metrics()
          .forEach(
              (name, metric) -> {
                if (!UNSAFE_GAUGE.equals(name.name())) {
                  kept.put(name, metric);
                }
              });
      return Collections.unmodifiableMap(kept);
    }
  }

  /**
   * Logs a stream thread's death with its cause and replaces the thread (its tasks restart from the
   * last commit).
   */
  static final class LoggingExceptionHandler implements StreamsUncaughtExceptionHandler {
    @Override
    public StreamThreadExceptionResponse handle(final Throwable exception) {
      LOG.error(
          "a stream thread died; replacing it (its tasks resume from their last committed transaction)",
          exception);
      return StreamThreadExceptionResponse.REPLACE_THREAD;
    }
  }
}
