package io.finchstream.processors;

import io.finchstream.processors.conversation.ConversationProcessor;
import io.finchstream.processors.conversation.MemoryBudget;
import io.finchstream.processors.conversation.ProcessorSettings;
import io.finchstream.processors.conversation.ThreadBatchers;
import io.finchstream.processors.event.EventValidator;
import io.finchstream.processors.event.ForkDecodeProcessor;
import io.finchstream.processors.event.ValidationProcessor;
import io.finchstream.processors.live.LiveTokens;
import io.finchstream.processors.serde.ProtoSerde;
import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.DeadLetter;
import io.finchstream.proto.v1.ForkTransfer;
import io.finchstream.proto.v1.Reply;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The Finchstream topology, as one pure function of the model and the settings:
 *
 * <pre>
 *   finchstream.events ─▶ validate ─┬──────────────▶ conversations ─┬─▶ finchstream.replies
 *                                   │                  ▲   [stores]  ├─▶ finchstream.dlq
 *   finchstream.forks  ─▶ fork-decode ─────────────────┘             └─▶ finchstream.forks
 *   (validate and fork-decode also write to replies / dlq)
 * </pre>
 *
 * Tests build exactly this topology in {@code TopologyTestDriver}; the service runs it.
 */
public final class ConversationTopology {

  public static final String EVENTS_SOURCE = "events-source";
  public static final String FORKS_SOURCE = "forks-source";
  public static final String VALIDATE = "validate";
  public static final String FORK_DECODE = "fork-decode";
  public static final String CONVERSATIONS = "conversations";
  public static final String REPLIES_SINK = "replies-sink";
  public static final String DLQ_SINK = "dlq-sink";
  public static final String FORKS_SINK = "forks-sink";

  /** Headroom over the payload bytes of a state record for its key and Protobuf framing. */
  static final int RECORD_OVERHEAD_BYTES = 64 * 1024;

  private ConversationTopology() {}

  /** The topology serving {@code model} with {@code settings}, without live tokens. */
  public static Topology build(
      final LoadedModel model,
      final ProcessorSettings settings,
      final MemoryBudget budget,
      final FinchstreamMetrics metrics) {
    return build(model, settings, budget, metrics, LiveTokens.OFF);
  }

  /**
   * The topology serving {@code model} with {@code settings}; every draw of a generation is also
   * published to {@code live} as soon as it is sampled.
   */
  public static Topology build(
      final LoadedModel model,
      final ProcessorSettings settings,
      final MemoryBudget budget,
      final FinchstreamMetrics metrics,
      final LiveTokens live) {
    final EventValidator validator =
        new EventValidator(model.tokenizer(), model.info().vocabSize(), settings.limits());
    final ThreadBatchers batchers =
        new ThreadBatchers(
            model.model(),
            metrics,
            live,
            settings.batchConversations(),
            settings.decodeCycleMs(),
            settings.computeBudgetMs());
    final Topology t = new Topology();
    t.addSource(
        EVENTS_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), Topics.EVENTS);
    t.addSource(
        FORKS_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), Topics.FORKS);
    t.addProcessor(
        VALIDATE,
        () ->
            new ValidationProcessor(
                validator, metrics, CONVERSATIONS, REPLIES_SINK, DLQ_SINK, FORKS_SINK),
        EVENTS_SOURCE);
    t.addProcessor(
        FORK_DECODE, () -> new ForkDecodeProcessor(metrics, CONVERSATIONS, DLQ_SINK), FORKS_SOURCE);
    t.addProcessor(
        CONVERSATIONS,
        () ->
            new ConversationProcessor(
                model, settings, budget, metrics, REPLIES_SINK, DLQ_SINK, FORKS_SINK, batchers),
        VALIDATE,
        FORK_DECODE);
    for (final String store : StoreNames.ALL) {
      t.addStateStore(storeBuilder(store, settings), CONVERSATIONS);
    }
    t.addSink(
        REPLIES_SINK,
        Topics.REPLIES,
        new StringSerializer(),
        new ProtoSerde<>(Reply.parser()).serializer(),
        VALIDATE,
        CONVERSATIONS);
    t.addSink(
        DLQ_SINK,
        Topics.DLQ,
        new ByteArraySerializer(),
        new ProtoSerde<>(DeadLetter.parser()).serializer(),
        VALIDATE,
        FORK_DECODE,
        CONVERSATIONS);
    t.addSink(
        FORKS_SINK,
        Topics.FORKS,
        new StringSerializer(),
        new ProtoSerde<>(ForkTransfer.parser()).serializer(),
        new ConversationPartitioner(),
        VALIDATE,
        CONVERSATIONS);
    return t;
  }

  /**
   * A store: RocksDB, bytes keys and values, changelog on. Records never exceed {@code partBytes}
   * of payload; if that is raised above Kafka's default message size, the changelog topics' {@code
   * max.message.bytes} is raised with it (and {@code FinchstreamService} raises the producer's
   * {@code max.request.size}).
   */
  static StoreBuilder<KeyValueStore<Bytes, byte[]>> storeBuilder(
      final String name, final ProcessorSettings settings) {
    final Map<String, String> changelog = new HashMap<>();
    final int maxRecord = maxRecordBytes(settings.partBytes());
    if (maxRecord > TopicDefaults.MAX_MESSAGE_BYTES) {
      changelog.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(maxRecord));
    }
    if (name.equals(StoreNames.SNAPSHOTS) || name.equals(StoreNames.CACHE)) {
      // Large values rewritten often: smaller segments let compaction reclaim old snapshots sooner.
      changelog.put(TopicConfig.SEGMENT_BYTES_CONFIG, Integer.toString(64 * 1024 * 1024));
    }
    final StoreBuilder<KeyValueStore<Bytes, byte[]>> builder =
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(name), Serdes.Bytes(), Serdes.ByteArray())
            .withLoggingEnabled(changelog);
    return name.equals(StoreNames.META) || name.equals(StoreNames.GENERATIONS)
        ? builder.withCachingEnabled()
        : builder.withCachingDisabled();
  }

  /** Largest state record for a payload limit (payload + key + framing). */
  static int maxRecordBytes(final int partBytes) {
    return partBytes + RECORD_OVERHEAD_BYTES;
  }

  /** Kafka's defaults that our sizes are checked against. */
  static final class TopicDefaults {
    /** Broker {@code message.max.bytes} / topic {@code max.message.bytes} default. */
    static final int MAX_MESSAGE_BYTES = 1_048_588;

    private TopicDefaults() {}
  }
}
