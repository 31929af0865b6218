package io.finchstream.processors;

import io.finchstream.config.ConfigSources;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigException;

/**
 * The processors' configuration. Every key has a {@code FOO_CONFIG} constant, a {@code FOO_DOC}
 * string, a type, a default, a validator and an importance; {@code docs/CONFIGURATION.md} is
 * generated from these definitions ({@link #main}).
 *
 * <p>Sources, later ones winning: a properties file, then environment variables ({@code
 * FINCHSTREAM_FOO_BAR} sets {@code foo.bar}; only names that map to a defined key or to {@code
 * streams.*} are read), then explicit overrides (command-line options). Any Kafka Streams,
 * producer, consumer or admin setting can be passed with the {@code streams.} prefix (e.g. {@code
 * streams.num.stream.threads}); those win over the values Finchstream derives.
 */
public final class FinchstreamConfig extends AbstractConfig {

  /** Prefix for settings passed through to Kafka Streams unchanged (prefix removed). */
  public static final String STREAMS_PREFIX = "streams.";

  /** Prefix of the environment variables that configure Finchstream. */
  public static final String ENV_PREFIX = ConfigSources.ENV_PREFIX;

  public static final String BOOTSTRAP_SERVERS_CONFIG = "bootstrap.servers";
  public static final String BOOTSTRAP_SERVERS_DOC =
      "Kafka brokers to connect to, host:port[,host:port...].";

  public static final String APPLICATION_ID_CONFIG = "application.id";
  public static final String APPLICATION_ID_DOC =
      "Kafka Streams application id: the consumer group, and the prefix of internal topics. All"
          + " instances of one service share it.";

  public static final String APPLICATION_SERVER_CONFIG = "application.server";
  public static final String APPLICATION_SERVER_DOC =
      "host:port where this instance answers interactive queries (the gateway's address), so that"
          + " other instances can route a conversation's query here. `finchstream up` and `serve`"
          + " default it to their gateway's address. Empty: queries are local only.";

  public static final String STATE_DIR_CONFIG = "state.dir";
  public static final String STATE_DIR_DOC =
      "Directory of the local RocksDB state stores; unique per instance on a host.";

  public static final String MODEL_PATH_CONFIG = "model.path";
  public static final String MODEL_PATH_DOC = "Model file to serve (see `finchstream inspect`).";

  public static final String MODEL_PRECISION_CONFIG = "model.precision";
  public static final String MODEL_PRECISION_DOC =
      "In-memory weight precision of the served model: fp32; bf16 (half the memory and the bytes read"
          + " per token; exact for the official checkpoints, which are stored in bf16); or int8 (about a"
          + " quarter: the linear layers as rwkv.cpp's Q8_0, int8 in blocks of 32 with an fp16 scale, read"
          + " as stored from Q8_0 files and quantized at load from any other; head, embedding and LoRAs in"
          + " bf16).";

  public static final String ENGINE_THREADS_CONFIG = "engine.threads";
  public static final String ENGINE_THREADS_DOC =
      "Compute threads of the engine (0 = all available processors). On a machine that also runs the"
          + " Kafka broker, one fewer than its cores keeps the broker from stalling the engine's matmuls"
          + " (docs/BENCHMARKS.md, service batching). `finchstream up` (broker, processors and"
          + " gateway in one process) defaults to one fewer than the available processors (at least"
          + " 1).";

  public static final String TOKENIZER_VOCAB_CONFIG = "tokenizer.vocab.path";
  public static final String TOKENIZER_VOCAB_DOC =
      "RWKV World vocabulary file (rwkv_vocab_v20230424.txt) for models with a 65536-token vocabulary."
          + " Models with a 256-token vocabulary use the byte tokenizer and need none.";

  public static final String CREATE_TOPICS_CONFIG = "topics.create";
  public static final String CREATE_TOPICS_DOC =
      "Create the input, reply, dead-letter and fork topics at start when they are missing.";

  public static final String TOPIC_PARTITIONS_CONFIG = "topics.partitions";
  public static final String TOPIC_PARTITIONS_DOC =
      "Partitions of the topics Finchstream creates. The unit of parallelism: conversations are"
          + " spread over partitions, and one stream task owns each partition.";

  public static final String TOPIC_REPLICATION_CONFIG = "topics.replication.factor";
  public static final String TOPIC_REPLICATION_DOC =
      "Replication factor of the topics Finchstream creates (-1: the broker's default).";

  public static final String LIVE_TOKENS_CONFIG = "live.tokens";
  public static final String LIVE_TOKENS_DOC =
      "Publish every draw of a running generation to finchstream.tokens as soon as it is sampled"
          + " (a producer of its own, outside the transactions, linger 0), so that gateways stream"
          + " each token within milliseconds instead of at the next commit; the committed replies"
          + " stay the record of truth (docs/PROCESSORS.md, live tokens). Off: replies become"
          + " visible only when their transaction commits.";

  public static final String MAX_TEXT_BYTES_CONFIG = "max.text.bytes";
  public static final String MAX_TEXT_BYTES_DOC =
      "Largest AppendText (and Generate prefix_text), in UTF-8 bytes; larger events are dead-lettered"
          + " (PAYLOAD_TOO_LARGE).";

  public static final String MAX_APPEND_TOKENS_CONFIG = "max.append.tokens";
  public static final String MAX_APPEND_TOKENS_DOC =
      "Most tokens one event may append (AppendTokens ids, or the tokens of an AppendText).";

  public static final String MAX_GENERATE_TOKENS_CONFIG = "max.generate.tokens";
  public static final String MAX_GENERATE_TOKENS_DOC = "Largest max_tokens a Generate may ask for.";

  public static final String DEFAULT_GENERATE_TOKENS_CONFIG = "default.generate.tokens";
  public static final String DEFAULT_GENERATE_TOKENS_DOC =
      "max_tokens of a Generate that leaves it 0.";

  public static final String MAX_STOP_SEQUENCES_CONFIG = "max.stop.sequences";
  public static final String MAX_STOP_SEQUENCES_DOC =
      "Most stop strings plus stop token ids one Generate may give; each stop string is at most 256 bytes.";

  public static final String SNAPSHOT_INTERVAL_TOKENS_CONFIG = "snapshot.interval.tokens";
  public static final String SNAPSHOT_INTERVAL_TOKENS_DOC =
      "Take a snapshot of a conversation's state once this many tokens were computed since the"
          + " last one. A snapshot truncates the token log, so this bounds the replay after a crash.";

  public static final String SNAPSHOT_AT_TURN_END_CONFIG = "snapshot.at.turn.end";
  public static final String SNAPSHOT_AT_TURN_END_DOC =
      "Take snapshots at turn checkpoints (message ends; see checkpoint.recent.turns). With false,"
          + " only snapshot.interval.tokens takes snapshots, and a rewind replays from the nearest"
          + " one.";

  public static final String CHECKPOINT_RECENT_TURNS_CONFIG = "checkpoint.recent.turns";
  public static final String CHECKPOINT_RECENT_TURNS_DOC =
      "Every message end is a checkpoint a conversation can be rewound or forked to; the last this"
          + " many (4: two exchanges of a chat) always have a snapshot, so going back to one of them"
          + " replays nothing.";

  public static final String CHECKPOINT_OLDER_SNAPSHOTS_CONFIG = "checkpoint.older.snapshots";
  public static final String CHECKPOINT_OLDER_SNAPSHOTS_DOC =
      "Snapshots kept for turns older than the recent ones, at exponentially spaced positions (at"
          + " most one per distance band [2^j, 2^(j+1)) x checkpoint.spacing.tokens behind the end,"
          + " j < this). The token log is kept back to the oldest snapshot, so this bounds how far"
          + " back a conversation can be rewound and what it stores.";

  public static final String CHECKPOINT_SPACING_TOKENS_CONFIG = "checkpoint.spacing.tokens";
  public static final String CHECKPOINT_SPACING_TOKENS_DOC =
      "Width of the first distance band of older snapshots (see checkpoint.older.snapshots).";

  public static final String CONVERSATION_IDLE_EXPIRY_MS_CONFIG = "conversation.idle.expiry.ms";
  public static final String CONVERSATION_IDLE_EXPIRY_MS_DOC =
      "Delete a conversation that no event has changed for this long (every record, so the"
          + " changelogs compact it away); 0 keeps conversations until they are deleted. A"
          + " conversation with a running generation or waiting events is never expired.";

  public static final String AUTO_CONVERSATION_IDLE_EXPIRY_MS_CONFIG =
      "auto.conversation.idle.expiry.ms";
  public static final String AUTO_CONVERSATION_IDLE_EXPIRY_MS_DOC =
      "Delete an automatic conversation (the gateway keeps one per chat of an OpenAI client that"
          + " resends the whole history without X-Conversation-Id; ids auto-...) that no event has"
          + " changed for this long, as conversation.idle.expiry.ms does for the others. 0 keeps"
          + " them until they are evicted (auto.conversations.max.per.tenant) or deleted.";

  public static final String AUTO_CONVERSATIONS_MAX_PER_TENANT_CONFIG =
      "auto.conversations.max.per.tenant";
  public static final String AUTO_CONVERSATIONS_MAX_PER_TENANT_DOC =
      "Most automatic conversations (every branch counts) one tenant keeps in one partition: when"
          + " a new one would exceed it, the least recently changed ones of that tenant in that"
          + " partition are deleted first (never one with a running generation or waiting events)."
          + " A tenant holds at most this times the number of partitions.";

  public static final String MAX_DEFERRED_EVENTS_CONFIG = "max.deferred.events";
  public static final String MAX_DEFERRED_EVENTS_DOC =
      "Most events that may wait behind a running generation (or a fork's reservation) per"
          + " conversation (each up to the largest event, in the conversation-deferred store and"
          + " its changelog). An event beyond"
          + " it is refused: dead-lettered DEFERRED_QUEUE_FULL, with an Error reply to a"
          + " Generate's reply_to. Cancels and Deletes are never refused (they shorten the wait).";

  public static final String MAX_CONVERSATION_TOKENS_CONFIG = "max.conversation.tokens";
  public static final String MAX_CONVERSATION_TOKENS_DOC =
      "Most tokens one conversation may hold. -1: none for Finch, whose state has a fixed size;"
          + " for GoldFinch, whose cache grows with every token, the most tokens whose state fits"
          + " in hot.cache.max.bytes (cache and derived keys counted), so a conversation never"
          + " outgrows memory. 0: none. An append (or a Generate's prefix) beyond it is refused"
          + " (CONVERSATION_TOO_LONG: dead letter, listed in the conversation's refusals, an Error"
          + " reply to a Generate); a generation stops at it (finish reason length).";

  public static final String SNAPSHOT_PRECISION_CONFIG = "snapshot.precision";
  public static final String SNAPSHOT_PRECISION_DOC =
      "Precision of stored snapshots: fp32 (exact: a restored state is bit-identical) or bf16 (the"
          + " WKV matrices rounded to bfloat16: about half the bytes, but a state restored from a"
          + " snapshot then differs slightly from one that was never stored).";

  public static final String SNAPSHOT_PART_BYTES_CONFIG = "snapshot.part.bytes";
  public static final String SNAPSHOT_PART_BYTES_DOC =
      "Largest state payload per stored record: snapshots and cache blocks are split into parts of"
          + " at most this size. The default keeps every record under Kafka's default 1 MB message"
          + " size. A larger value raises the Streams producer's max.request.size and the changelog"
          + " topics' max.message.bytes together (brokers allow up to socket.request.max.bytes).";

  public static final String HOT_CACHE_MAX_BYTES_CONFIG = "hot.cache.max.bytes";
  public static final String HOT_CACHE_MAX_BYTES_DOC =
      "Memory for computed conversation states kept hot, shared by all tasks of this instance"
          + " (least recently used evicted first). Only an optimisation: an evicted state is rebuilt"
          + " from its snapshot and token log.";

  public static final String COMPUTE_INTERVAL_MS_CONFIG = "compute.interval.ms";
  public static final String COMPUTE_INTERVAL_MS_DOC =
      "Wall-clock period of the compute punctuator: pending tokens are computed and active"
          + " generations advanced in batches this often (and as soon as enough is pending).";

  public static final String COMPUTE_BUDGET_MS_CONFIG = "compute.budget.ms";
  public static final String COMPUTE_BUDGET_MS_DOC =
      "Time the batched ingest (prefill) of one punctuation may take before it yields to the stream"
          + " thread (polling, commits); half of it while generations run. Keep it far below"
          + " max.poll.interval.ms.";

  public static final String DECODE_CYCLE_MS_CONFIG = "decode.cycle.ms";
  public static final String DECODE_CYCLE_MS_DOC =
      "Longest decode cycle: the running generations of a stream thread are advanced together on a"
          + " decode thread for this long (a cycle also ends after a generation's first token), then"
          + " their tokens are stored and emitted; so it is the streaming cadence (replies become"
          + " visible at the next commit, see streams.commit.interval.ms).";

  public static final String COMPUTE_PENDING_TOKENS_CONFIG = "compute.pending.tokens";
  public static final String COMPUTE_PENDING_TOKENS_DOC =
      "Run a compute round right away, without waiting for the punctuator, once a task has this"
          + " many uncomputed tokens.";

  public static final String BATCH_MAX_CONVERSATIONS_CONFIG = "batch.max.conversations";
  public static final String BATCH_MAX_CONVERSATIONS_DOC =
      "Most conversations advanced by one batched engine call (ingest or decode step).";

  public static final String BATCH_MAX_TOKENS_CONFIG = "batch.max.tokens";
  public static final String BATCH_MAX_TOKENS_DOC =
      "Most tokens of one conversation ingested by one batched engine call.";

  public static final String ROCKSDB_BLOCK_CACHE_BYTES_CONFIG = "rocksdb.block.cache.bytes";
  public static final String ROCKSDB_BLOCK_CACHE_BYTES_DOC =
      "Size of the one RocksDB block cache shared by every store of this instance (index and filter"
          + " blocks included). Memtables are charged to it too, up to rocksdb.write.buffer.bytes.";

  public static final String ROCKSDB_WRITE_BUFFER_BYTES_CONFIG = "rocksdb.write.buffer.bytes";
  public static final String ROCKSDB_WRITE_BUFFER_BYTES_DOC =
      "Memory for RocksDB memtables of all stores of this instance together (a WriteBufferManager"
          + " charged to the shared block cache); must be below rocksdb.block.cache.bytes.";

  public static final String STANDBY_REPLICAS_CONFIG = "standby.replicas";
  public static final String STANDBY_REPLICAS_DOC =
      "Warm copies of each task's state on other instances (Kafka Streams' num.standby.replicas):"
          + " when an instance stops or dies, its conversations move to an instance that already"
          + " holds their state and answer after a short catch-up instead of a full restore. Each"
          + " copy costs the disk of the state and the traffic of following its changelogs; it needs"
          + " one more instance than copies. `finchstream up` (one instance) defaults to 0.";

  public static final String SESSION_TIMEOUT_MS_CONFIG = "session.timeout.ms";
  public static final String SESSION_TIMEOUT_MS_DOC =
      "How long the group waits for an instance that stopped answering (killed, hung, cut off)"
          + " before its tasks move to the others: the consumers' session.timeout.ms (heartbeats"
          + " every 500 ms, or a quarter of it if that is less), and the timeout of the instance's"
          + " transactions (at least 5 s), whose abort the new owners of its tasks wait for. The"
          + " brokers' group.min.session.timeout.ms (6 s by default) is the lowest they accept.";

  public static final String STATIC_MEMBERSHIP_CONFIG = "static.membership";
  public static final String STATIC_MEMBERSHIP_DOC =
      "Join the group with a stable member id (group.instance.id) kept in the state directory"
          + " (file finchstream-member.id): an instance that restarts within session.timeout.ms"
          + " after a crash, or in a rolling restart, takes its tasks back at once, without a"
          + " rebalance and without waiting for its old session to expire. Every instance needs its"
          + " own state directory (two instances started from copies of one fence each other).";

  public static final String TRANSACTIONAL_STATE_CONFIG = "state.transactional";
  public static final String TRANSACTIONAL_STATE_DOC =
      "Transactional state stores (Kafka Streams' enable.transactional.statestores, new in 4.4):"
          + " writes reach RocksDB when their transaction commits, so an instance that crashed"
          + " keeps its local state and replays only what its last open transaction had done,"
          + " instead of wiping every task's state and restoring it from the changelogs.";

  private static final int MIB = 1024 * 1024;

  /** The definitions. */
  public static final ConfigDef CONFIG = definitions();

  public FinchstreamConfig(final Map<?, ?> props) {
    super(CONFIG, props, false);
  }

  private static ConfigDef definitions() {
    final ConfigDef def = new ConfigDef();
    defineService(def);
    defineLimits(def);
    defineCompute(def);
    defineRocksDb(def);
    defineFailover(def);
    return def;
  }

  /** The service: Kafka, the model, topics. */
  private static void defineService(final ConfigDef def) {
    def.define(
            BOOTSTRAP_SERVERS_CONFIG,
            ConfigDef.Type.STRING,
            "localhost:9092",
            new ConfigDef.NonEmptyString(),
            Importance.HIGH,
            BOOTSTRAP_SERVERS_DOC)
        .define(MODEL_PATH_CONFIG, ConfigDef.Type.STRING, "", Importance.HIGH, MODEL_PATH_DOC)
        .define(
            APPLICATION_ID_CONFIG,
            ConfigDef.Type.STRING,
            "finchstream",
            new ConfigDef.NonEmptyString(),
            Importance.HIGH,
            APPLICATION_ID_DOC)
        .define(
            STATE_DIR_CONFIG,
            ConfigDef.Type.STRING,
            ".finchstream/state",
            new ConfigDef.NonEmptyString(),
            Importance.HIGH,
            STATE_DIR_DOC)
        .define(
            APPLICATION_SERVER_CONFIG,
            ConfigDef.Type.STRING,
            "",
            Importance.MEDIUM,
            APPLICATION_SERVER_DOC)
        .define(
            MODEL_PRECISION_CONFIG,
            ConfigDef.Type.STRING,
            "fp32",
            ConfigDef.ValidString.in("fp32", "bf16", "int8"),
            Importance.MEDIUM,
            MODEL_PRECISION_DOC)
        .define(
            ENGINE_THREADS_CONFIG,
            ConfigDef.Type.INT,
            0,
            Range.between(0, 1024),
            Importance.MEDIUM,
            ENGINE_THREADS_DOC)
        .define(
            TOKENIZER_VOCAB_CONFIG,
            ConfigDef.Type.STRING,
            "",
            Importance.MEDIUM,
            TOKENIZER_VOCAB_DOC)
        .define(
            CREATE_TOPICS_CONFIG,
            ConfigDef.Type.BOOLEAN,
            true,
            Importance.MEDIUM,
            CREATE_TOPICS_DOC)
        .define(
            TOPIC_PARTITIONS_CONFIG,
            ConfigDef.Type.INT,
            6,
            Range.between(1, 10_000),
            Importance.MEDIUM,
            TOPIC_PARTITIONS_DOC)
        .define(
            TOPIC_REPLICATION_CONFIG,
            ConfigDef.Type.SHORT,
            (short) -1,
            Range.between(-1, 32),
            Importance.MEDIUM,
            TOPIC_REPLICATION_DOC)
        .define(
            LIVE_TOKENS_CONFIG, ConfigDef.Type.BOOLEAN, true, Importance.MEDIUM, LIVE_TOKENS_DOC);
  }

  /** Limits on events and generations. */
  private static void defineLimits(final ConfigDef def) {
    def.define(
            MAX_TEXT_BYTES_CONFIG,
            ConfigDef.Type.INT,
            256 * 1024,
            Range.between(1, 64 * MIB),
            Importance.MEDIUM,
            MAX_TEXT_BYTES_DOC)
        .define(
            MAX_APPEND_TOKENS_CONFIG,
            ConfigDef.Type.INT,
            262_144,
            Range.between(1, 16 * MIB),
            Importance.MEDIUM,
            MAX_APPEND_TOKENS_DOC)
        .define(
            MAX_GENERATE_TOKENS_CONFIG,
            ConfigDef.Type.INT,
            4096,
            Range.between(1, 1 << 20),
            Importance.MEDIUM,
            MAX_GENERATE_TOKENS_DOC)
        .define(
            DEFAULT_GENERATE_TOKENS_CONFIG,
            ConfigDef.Type.INT,
            256,
            Range.between(1, 1 << 20),
            Importance.MEDIUM,
            DEFAULT_GENERATE_TOKENS_DOC)
        .define(
            MAX_STOP_SEQUENCES_CONFIG,
            ConfigDef.Type.INT,
            16,
            Range.between(0, 1024),
            Importance.LOW,
            MAX_STOP_SEQUENCES_DOC);
  }

  /** Snapshots, the hot cache and compute scheduling. */
  private static void defineCompute(final ConfigDef def) {
    def.define(
            SNAPSHOT_INTERVAL_TOKENS_CONFIG,
            ConfigDef.Type.INT,
            4096,
            Range.between(1, Integer.MAX_VALUE),
            Importance.MEDIUM,
            SNAPSHOT_INTERVAL_TOKENS_DOC)
        .define(
            SNAPSHOT_AT_TURN_END_CONFIG,
            ConfigDef.Type.BOOLEAN,
            true,
            Importance.MEDIUM,
            SNAPSHOT_AT_TURN_END_DOC)
        .define(
            CHECKPOINT_RECENT_TURNS_CONFIG,
            ConfigDef.Type.INT,
            4,
            Range.between(0, 1024),
            Importance.MEDIUM,
            CHECKPOINT_RECENT_TURNS_DOC)
        .define(
            CHECKPOINT_OLDER_SNAPSHOTS_CONFIG,
            ConfigDef.Type.INT,
            8,
            Range.between(0, 48),
            Importance.MEDIUM,
            CHECKPOINT_OLDER_SNAPSHOTS_DOC)
        .define(
            CHECKPOINT_SPACING_TOKENS_CONFIG,
            ConfigDef.Type.INT,
            256,
            Range.between(1, Integer.MAX_VALUE),
            Importance.LOW,
            CHECKPOINT_SPACING_TOKENS_DOC)
        .define(
            CONVERSATION_IDLE_EXPIRY_MS_CONFIG,
            ConfigDef.Type.LONG,
            0L,
            Range.atLeast(0),
            Importance.MEDIUM,
            CONVERSATION_IDLE_EXPIRY_MS_DOC)
        .define(
            AUTO_CONVERSATION_IDLE_EXPIRY_MS_CONFIG,
            ConfigDef.Type.LONG,
            24L * 60 * 60 * 1000,
            Range.atLeast(0),
            Importance.MEDIUM,
            AUTO_CONVERSATION_IDLE_EXPIRY_MS_DOC)
        .define(
            AUTO_CONVERSATIONS_MAX_PER_TENANT_CONFIG,
            ConfigDef.Type.INT,
            1000,
            Range.between(1, 1_000_000),
            Importance.MEDIUM,
            AUTO_CONVERSATIONS_MAX_PER_TENANT_DOC)
        .define(
            MAX_DEFERRED_EVENTS_CONFIG,
            ConfigDef.Type.INT,
            256,
            Range.between(1, 1_000_000),
            Importance.MEDIUM,
            MAX_DEFERRED_EVENTS_DOC)
        .define(
            MAX_CONVERSATION_TOKENS_CONFIG,
            ConfigDef.Type.LONG,
            -1L,
            Range.atLeast(-1),
            Importance.MEDIUM,
            MAX_CONVERSATION_TOKENS_DOC)
        .define(
            SNAPSHOT_PRECISION_CONFIG,
            ConfigDef.Type.STRING,
            "fp32",
            ConfigDef.ValidString.in("fp32", "bf16"),
            Importance.LOW,
            SNAPSHOT_PRECISION_DOC)
        .define(
            SNAPSHOT_PART_BYTES_CONFIG,
            ConfigDef.Type.INT,
            900_000,
            Range.between(1024, 64 * MIB),
            Importance.MEDIUM,
            SNAPSHOT_PART_BYTES_DOC)
        .define(
            HOT_CACHE_MAX_BYTES_CONFIG,
            ConfigDef.Type.LONG,
            512L * MIB,
            Range.atLeast(0),
            Importance.MEDIUM,
            HOT_CACHE_MAX_BYTES_DOC)
        .define(
            COMPUTE_INTERVAL_MS_CONFIG,
            ConfigDef.Type.LONG,
            5L,
            Range.between(1, 60_000),
            Importance.LOW,
            COMPUTE_INTERVAL_MS_DOC)
        .define(
            COMPUTE_BUDGET_MS_CONFIG,
            ConfigDef.Type.LONG,
            400L,
            Range.between(1, 60_000),
            Importance.LOW,
            COMPUTE_BUDGET_MS_DOC)
        .define(
            DECODE_CYCLE_MS_CONFIG,
            ConfigDef.Type.LONG,
            200L,
            Range.between(1, 60_000),
            Importance.LOW,
            DECODE_CYCLE_MS_DOC)
        .define(
            COMPUTE_PENDING_TOKENS_CONFIG,
            ConfigDef.Type.INT,
            4096,
            Range.between(1, Integer.MAX_VALUE),
            Importance.LOW,
            COMPUTE_PENDING_TOKENS_DOC)
        .define(
            BATCH_MAX_CONVERSATIONS_CONFIG,
            ConfigDef.Type.INT,
            64,
            Range.between(1, 4096),
            Importance.LOW,
            BATCH_MAX_CONVERSATIONS_DOC)
        .define(
            BATCH_MAX_TOKENS_CONFIG,
            ConfigDef.Type.INT,
            512,
            Range.between(1, 1 << 20),
            Importance.LOW,
            BATCH_MAX_TOKENS_DOC);
  }

  /** RocksDB memory. */
  private static void defineRocksDb(final ConfigDef def) {
    def.define(
            ROCKSDB_BLOCK_CACHE_BYTES_CONFIG,
            ConfigDef.Type.LONG,
            128L * MIB,
            Range.atLeast(MIB),
            Importance.LOW,
            ROCKSDB_BLOCK_CACHE_BYTES_DOC)
        .define(
            ROCKSDB_WRITE_BUFFER_BYTES_CONFIG,
            ConfigDef.Type.LONG,
            32L * MIB,
            Range.atLeast(MIB),
            Importance.LOW,
            ROCKSDB_WRITE_BUFFER_BYTES_DOC);
  }

  /** Failover and restart. */
  private static void defineFailover(final ConfigDef def) {
    def.define(
            STANDBY_REPLICAS_CONFIG,
            ConfigDef.Type.INT,
            1,
            Range.between(0, 16),
            Importance.MEDIUM,
            STANDBY_REPLICAS_DOC)
        .define(
            SESSION_TIMEOUT_MS_CONFIG,
            ConfigDef.Type.INT,
            6_000,
            Range.between(1_000, 1_800_000),
            Importance.LOW,
            SESSION_TIMEOUT_MS_DOC)
        .define(
            STATIC_MEMBERSHIP_CONFIG,
            ConfigDef.Type.BOOLEAN,
            true,
            Importance.LOW,
            STATIC_MEMBERSHIP_DOC)
        .define(
            TRANSACTIONAL_STATE_CONFIG,
            ConfigDef.Type.BOOLEAN,
            true,
            Importance.LOW,
            TRANSACTIONAL_STATE_DOC);
  }

  @Override
  protected Map<String, Object> postProcessParsedConfig(final Map<String, Object> parsed) {
    final long cache = (Long) parsed.get(ROCKSDB_BLOCK_CACHE_BYTES_CONFIG);
    final long buffers = (Long) parsed.get(ROCKSDB_WRITE_BUFFER_BYTES_CONFIG);
    if (buffers >= cache) {
      throw new ConfigException(
          ROCKSDB_WRITE_BUFFER_BYTES_CONFIG,
          buffers,
          "must be below "
              + ROCKSDB_BLOCK_CACHE_BYTES_CONFIG
              + " ("
              + cache
              + "): memtables are charged to the block cache");
    }
    final int dflt = (Integer) parsed.get(DEFAULT_GENERATE_TOKENS_CONFIG);
    final int max = (Integer) parsed.get(MAX_GENERATE_TOKENS_CONFIG);
    if (dflt > max) {
      throw new ConfigException(
          DEFAULT_GENERATE_TOKENS_CONFIG,
          dflt,
          "must not exceed " + MAX_GENERATE_TOKENS_CONFIG + " (" + max + ")");
    }
    return Map.of();
  }

  /** A copy with {@code key} set to {@code value} (over every other source). */
  public FinchstreamConfig with(final String key, final Object value) {
    final Map<String, Object> props = new HashMap<>(originals());
    props.put(key, value);
    return new FinchstreamConfig(props);
  }

  /**
   * Settings with the {@code streams.} prefix, prefix removed: passed to Kafka Streams as they are.
   */
  public Map<String, Object> streamsOverrides() {
    return originalsWithPrefix(STREAMS_PREFIX, true);
  }

  /**
   * Loads the configuration: {@code file} (may be null), then the environment, then {@code
   * overrides}, later sources winning.
   *
   * @throws ConfigException when the file cannot be read or a value is invalid (the key is named)
   */
  public static FinchstreamConfig load(
      final Path file, final Map<String, String> env, final Map<String, ?> overrides) {
    return load(Map.of(), file, env, overrides);
  }

  /**
   * As {@link #load(Path, Map, Map)}, over {@code defaults}: a command's own defaults (such as no
   * standby replicas for the single instance of {@code finchstream up}), which every source
   * overrides.
   */
  public static FinchstreamConfig load(
      final Map<String, ?> defaults,
      final Path file,
      final Map<String, String> env,
      final Map<String, ?> overrides) {
    final Map<String, Object> props = new HashMap<>(defaults);
    props.putAll(ConfigSources.layered(file, env, overrides, CONFIG, STREAMS_PREFIX));
    return new FinchstreamConfig(props);
  }

  /**
   * The settings named by environment variables: {@code FINCHSTREAM_MAX_TEXT_BYTES=1000} gives
   * {@code max.text.bytes=1000}. Variables that name no defined key (such as {@code
   * FINCHSTREAM_SHARED}) are ignored, except {@code FINCHSTREAM_STREAMS_*}, which are passed
   * through.
   */
  public static Map<String, String> fromEnvironment(final Map<String, String> env) {
    return ConfigSources.fromEnvironment(env, CONFIG, STREAMS_PREFIX);
  }

  /** Prints the configuration reference as a Markdown table (for docs/CONFIGURATION.md). */
  public static void main(final String[] args) {
    System.out.println(markdownTable());
  }

  /** The configuration reference as Markdown, generated from {@link #CONFIG}. */
  public static String markdownTable() {
    return ConfigSources.markdownTable(CONFIG);
  }
}
