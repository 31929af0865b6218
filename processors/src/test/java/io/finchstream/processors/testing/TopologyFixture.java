package io.finchstream.processors.testing;

import io.finchstream.processors.ConversationTopology;
import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.FinchstreamMetrics;
import io.finchstream.processors.FinchstreamService;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.StoreNames;
import io.finchstream.processors.conversation.MemoryBudget;
import io.finchstream.processors.conversation.ProcessorSettings;
import io.finchstream.processors.live.LiveTokens;
import io.finchstream.processors.serde.ProtoSerde;
import io.finchstream.processors.store.KafkaBinaryStore;
import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.DeadLetter;
import io.finchstream.proto.v1.LiveToken;
import io.finchstream.proto.v1.Reply;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.internals.StreamTask;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The real topology ({@link ConversationTopology#build}) in a {@link TopologyTestDriver}: input
 * events in, replies and dead letters out, wall-clock punctuation on demand, stores readable.
 */
public final class TopologyFixture implements AutoCloseable {

  /** The running driver (a new one after {@link #restart}). */
  public TopologyTestDriver driver;

  public final FinchstreamMetrics metrics = FinchstreamMetrics.simple();

  /** Every draw the decode rounds published as a live token, in the order published. */
  public final List<LiveToken> liveTokens = new CopyOnWriteArrayList<>();

  private final LiveTokens live =
      new LiveTokens() {
        @Override
        public void publish(final String conversation, final LiveToken token) {
          liveTokens.add(token);
        }

        @Override
        public boolean enabled() {
          return true;
        }
      };

  public final LoadedModel model;
  public final FinchstreamConfig config;
  private TestInputTopic<byte[], byte[]> events;
  private TestOutputTopic<String, Reply> replies;
  private TestOutputTopic<byte[], DeadLetter> dlq;
  private final List<Reply> replyLog = new ArrayList<>();
  private final List<TestRecord<byte[], DeadLetter>> deadLetters = new ArrayList<>();

  public TopologyFixture(
      final LoadedModel model, final Map<String, Object> overrides, final Path stateDir) {
    this.model = model;
    final Map<String, Object> props = new HashMap<>();
    props.put(FinchstreamConfig.APPLICATION_ID_CONFIG, "topology-test");
    props.put(FinchstreamConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(FinchstreamConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.putAll(overrides);
    config = new FinchstreamConfig(props);
    open();
  }

  /** A new driver (and processor instances) on the stores in the state directory. */
  private void open() {
    final Properties streams = FinchstreamService.streamsProperties(config);
    final MemoryBudget budget =
        new MemoryBudget(config.getLong(FinchstreamConfig.HOT_CACHE_MAX_BYTES_CONFIG));
    driver =
        new TopologyTestDriver(
            ConversationTopology.build(
                model, ProcessorSettings.from(config), budget, metrics, live),
            streams);
    events =
        driver.createInputTopic(
            Topics.EVENTS, new ByteArraySerializer(), new ByteArraySerializer());
    replies =
        driver.createOutputTopic(
            Topics.REPLIES,
            new StringDeserializer(),
            new ProtoSerde<>(Reply.parser()).deserializer());
    dlq =
        driver.createOutputTopic(
            Topics.DLQ,
            new ByteArrayDeserializer(),
            new ProtoSerde<>(DeadLetter.parser()).deserializer());
  }

  /**
   * Restarts the service: the processor instances (hot states, running generations in memory, the
   * decode thread's work) are dropped and new ones start on the stores as they were, as a new owner
   * of the task would. (The driver deletes its state directory when it closes, so the stores'
   * contents are carried over to the new driver before its first punctuation, which is where a
   * processor resumes the generations and queues it finds stored.)
   */
  public void restart() {
    replies();
    deadLetters();
    final Map<String, List<KeyValue<Bytes, byte[]>>> contents = new HashMap<>();
    for (final String store : StoreNames.ALL) {
      final List<KeyValue<Bytes, byte[]>> records = new ArrayList<>();
      try (var it = driver.<Bytes, byte[]>getKeyValueStore(store).all()) {
        it.forEachRemaining(records::add);
      }
      contents.put(store, records);
    }
    driver.close();
    open();
    contents.forEach(
        (store, records) -> {
          final KeyValueStore<Bytes, byte[]> target = driver.getKeyValueStore(store);
          records.forEach(kv -> target.put(kv.key, kv.value));
        });
  }

  /**
   * Revives the task as Kafka Streams does after a {@code TaskCorruptedException} (close dirty,
   * revive) or when a suspended task is assigned back to its stream thread (resume): the same
   * processor instances are closed and initialised again on the stores as they are. Unlike {@link
   * #restart}, no processor is built anew, so whatever a processor keeps across {@code close} and
   * {@code init} is seen. (Through the driver's task, which it does not expose: {@code suspend},
   * {@code resume}, then {@code completeRestoration}, which initialises the topology again.)
   */
  public void reviveTask() {
    replies();
    deadLetters();
    final StreamTask task;
    try {
      final Field field = TopologyTestDriver.class.getDeclaredField("task");
      field.setAccessible(true);
      task = (StreamTask) field.get(driver);
    } catch (final ReflectiveOperationException e) {
      throw new IllegalStateException("this Kafka Streams' test driver has no task field", e);
    }
    task.suspend();
    task.resume();
    task.completeRestoration(partitions -> {});
  }

  /** Sends {@code event} to {@code conversation}. */
  public void send(final String conversation, final ConversationEvent event) {
    events.pipeInput(conversation.getBytes(StandardCharsets.UTF_8), event.toByteArray());
  }

  /** Sends raw bytes. */
  public void sendRaw(final byte[] key, final byte[] value) {
    events.pipeInput(key, value);
  }

  /** Fires the wall-clock punctuator {@code times} times. */
  public void punctuate(final int times) {
    final long interval = config.getLong(FinchstreamConfig.COMPUTE_INTERVAL_MS_CONFIG);
    for (int i = 0; i < times; i++) {
      driver.advanceWallClockTime(Duration.ofMillis(interval));
    }
  }

  /** Punctuates until no generation is running and nothing is left to compute (bounded). */
  public void settle() {
    for (int i = 0; i < 10_000; i++) {
      punctuate(1);
      if (quiet()) {
        punctuate(3);
        return;
      }
    }
    throw new AssertionError("the topology did not settle in 10000 punctuations");
  }

  /** No generation is stored as running. */
  private boolean quiet() {
    try (var it = driver.<Object, Object>getKeyValueStore(StoreNames.GENERATIONS).all()) {
      return !it.hasNext();
    }
  }

  /** Every reply so far (drains the output topic into an accumulating log). */
  public List<Reply> replies() {
    replies.readValuesToList().forEach(replyLog::add);
    return List.copyOf(replyLog);
  }

  /** Live tokens of one request, in the order published. */
  public List<LiveToken> liveTokens(final String requestId) {
    return liveTokens.stream().filter(t -> t.getRequestId().equals(requestId)).toList();
  }

  /** Replies of one request, in order. */
  public List<Reply> replies(final String requestId) {
    return replies().stream().filter(r -> r.getRequestId().equals(requestId)).toList();
  }

  /** Every dead letter so far. */
  public List<TestRecord<byte[], DeadLetter>> deadLetters() {
    deadLetters.addAll(dlq.readRecordsToList());
    return List.copyOf(deadLetters);
  }

  /** The state of record, read from the driver's stores. */
  public DurableState durable() {
    return new DurableState(name -> new KafkaBinaryStore(driver.getKeyValueStore(name)));
  }

  @Override
  public void close() {
    driver.close();
  }
}
