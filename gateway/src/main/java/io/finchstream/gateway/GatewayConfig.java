package io.finchstream.gateway;

import io.finchstream.config.ConfigSources;
import io.finchstream.proto.TenantKeys;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * The gateway's configuration: the HTTP server, API keys, limits and timeouts. Loaded the same way
 * as the processors' {@code FinchstreamConfig}, from the same sources (later ones winning): a
 * properties file, then environment variables ({@code FINCHSTREAM_GATEWAY_PORT=9000} sets {@code
 * gateway.port}), then explicit overrides (command-line options). One file can hold the settings of
 * both; each reads only its own keys. {@code gateway.kafka.*} settings go, prefix removed, to the
 * gateway's Kafka producer and consumer (security settings, for example).
 */
public final class GatewayConfig extends AbstractConfig {

  /** Prefix of settings passed to the gateway's Kafka clients unchanged (prefix removed). */
  public static final String KAFKA_PREFIX = "gateway.kafka.";

  /** Prefix of the environment variables that configure Finchstream. */
  public static final String ENV_PREFIX = ConfigSources.ENV_PREFIX;

  public static final String BOOTSTRAP_SERVERS_CONFIG = "bootstrap.servers";
  public static final String BOOTSTRAP_SERVERS_DOC =
      "Kafka brokers to connect to, host:port[,host:port...] (shared with the processors).";

  public static final String HOST_CONFIG = "gateway.host";
  public static final String HOST_DOC =
      "Interface the HTTP server binds to; 0.0.0.0 for every interface.";

  public static final String PORT_CONFIG = "gateway.port";
  public static final String PORT_DOC = "HTTP port (0: any free port).";

  public static final String INSTANCE_ID_CONFIG = "gateway.instance.id";
  public static final String INSTANCE_ID_DOC =
      "This gateway's id, written into every Generate's reply_to so that replies come back here. Unique per"
          + " running instance. A generation whose replies come here while nobody here waits for it (it"
          + " outlived a restart of this gateway) is cancelled. Empty: `finchstream up` and `serve` use the"
          + " instance's stable id from its state directory (the same after a restart); a bare gateway a"
          + " random one at every start.";

  public static final String INSTANCES_CONFIG = "gateway.event.loops";
  public static final String INSTANCES_DOC =
      "HTTP verticle instances (event loops serving requests); 0: one per CPU core.";

  public static final String API_KEYS_CONFIG = "gateway.api.keys";
  public static final String API_KEYS_DOC =
      "Accepted API keys (Authorization: Bearer KEY), comma-separated; TENANT:KEY puts a key in a tenant (a name of"
          + " up to 64 of A-Z a-z 0-9 . _ -): keys of one tenant share its conversations, and no tenant sees another's."
          + " A key given alone belongs to the tenant 'default' (write default:KEY for a key that contains ':'). Empty:"
          + " no authentication, every request is of tenant 'default', which `finchstream serve` refuses unless"
          + " started with --insecure.";

  public static final String PEER_SECRET_CONFIG = "gateway.peer.secret";
  public static final String PEER_SECRET_DOC =
      "Secret the gateways of one cluster share to sign the reads they forward to each other (HMAC-SHA256; the secret"
          + " itself is never sent, nor are clients' keys). Every instance needs the same value; `finchstream up`"
          + " makes one under its data directory. Empty: a random one, so reads of conversations that other"
          + " instances own fail with 503 peer_unauthorized.";

  public static final String RATE_LIMIT_CONFIG = "gateway.rate.limit.per.second";
  public static final String RATE_LIMIT_DOC =
      "Requests per second allowed per API key (per client address without keys); 0 turns the limit off. Excess requests get 429.";

  public static final String RATE_BURST_CONFIG = "gateway.rate.limit.burst";
  public static final String RATE_BURST_DOC =
      "Requests a key may make at once above its steady rate (the token bucket's size).";

  public static final String BODY_LIMIT_CONFIG = "gateway.body.limit.bytes";
  public static final String BODY_LIMIT_DOC = "Largest request body; larger ones get 413.";

  public static final String CORS_ORIGINS_CONFIG = "gateway.cors.origins";
  public static final String CORS_ORIGINS_DOC =
      "Origins (scheme://host[:port]) of web pages allowed to use the API and its WebSockets from a browser, besides"
          + " the gateway's own pages, comma-separated, or * for any. Empty: none (CORS off). Requests from other pages"
          + " get 403.";

  public static final String ALLOWED_HOSTS_CONFIG = "gateway.allowed.hosts";
  public static final String ALLOWED_HOSTS_DOC =
      "Host names the gateway answers to (the Host header), comma-separated, or * for any; localhost and IP addresses"
          + " are always accepted. Empty: any name while API keys are required, only localhost and IP addresses while"
          + " they are off (DNS-rebinding protection: another web site cannot use a keyless gateway through a name of"
          + " its own). /health/* answers to any host.";

  public static final String REQUEST_TIMEOUT_CONFIG = "gateway.request.timeout.ms";
  public static final String REQUEST_TIMEOUT_DOC =
      "Longest a non-streaming request may take (including the write to Kafka) before it fails with 504.";

  public static final String REPLY_TIMEOUT_CONFIG = "gateway.reply.timeout.ms";
  public static final String REPLY_TIMEOUT_DOC =
      "Longest wait for the next reply of a generation (the first token included); then the request fails with 504 and the"
          + " generation is cancelled.";

  public static final String HEARTBEAT_CONFIG = "gateway.sse.heartbeat.ms";
  public static final String HEARTBEAT_DOC =
      "Period of SSE comment pings that keep idle streams open through proxies.";

  public static final String IDLE_TIMEOUT_CONFIG = "gateway.idle.timeout.ms";
  public static final String IDLE_TIMEOUT_DOC =
      "An HTTP connection with no traffic for this long is closed, and so is a WebSocket on which the client sent no"
          + " message for this long and no generation runs (server pings do not count).";

  public static final String LIVE_TOKENS_CONFIG = "gateway.live.tokens";
  public static final String LIVE_TOKENS_DOC =
      "Stream each token as soon as the processors sample it (from finchstream.tokens, before its"
          + " transaction commits), in order, each exactly once; the reply still ends only with the"
          + " committed done, and a cancel keeps every token shown. Off: tokens reach clients when"
          + " their transaction commits (bursts at the commit cadence).";

  public static final String AUTO_REUSE_CONFIG = "gateway.openai.auto.reuse";
  public static final String AUTO_REUSE_DOC =
      "Chat completions without X-Conversation-Id continue the longest prefix of their messages"
          + " that an automatic conversation of the caller's tenant already holds (the processors'"
          + " turn checkpoints, found by running message digest at the tree's owner) and append"
          + " only the rest, so a client that resends the whole chat pays for the new tokens only;"
          + " usage.prompt_tokens_details.cached_tokens says how many were reused, and the"
          + " X-Conversation-Id response header names the conversation. Off: every such request is"
          + " a conversation of its own, deleted after the answer.";

  public static final String STREAM_BUFFER_CONFIG = "gateway.stream.buffer.bytes";
  public static final String STREAM_BUFFER_DOC =
      "Reply bytes held for one slow streaming client; when its connection cannot take more, the generation is cancelled and"
          + " the stream ends with an error. Other clients are never held up.";

  public static final String MAX_GENERATIONS_CONFIG = "gateway.max.active.generations";
  public static final String MAX_GENERATIONS_DOC =
      "Generations this instance waits on at once; more get 503 with Retry-After.";

  public static final String MAX_CONNECTIONS_CONFIG = "gateway.max.connections";
  public static final String MAX_CONNECTIONS_DOC =
      "HTTP connections (WebSockets included) this instance keeps open at once; connections beyond are closed as they"
          + " arrive, unanswered.";

  public static final String MAX_NEW_MESSAGES_CONFIG = "gateway.max.new.messages";
  public static final String MAX_NEW_MESSAGES_DOC =
      "Most messages one chat completion may append to its conversation (the messages it does not hold yet; each is"
          + " an event): more get 413 before anything is written.";

  public static final String MAX_PENDING_WRITES_CONFIG = "gateway.max.pending.writes";
  public static final String MAX_PENDING_WRITES_DOC =
      "Events this instance may have waiting to be written to Kafka; while Kafka is slow or unreachable, requests"
          + " beyond that get 503 at once instead of queueing. Every write also fails after gateway.request.timeout.ms.";

  public static final String READ_YOUR_WRITES_CONFIG = "gateway.read.your.writes.ms";
  public static final String READ_YOUR_WRITES_DOC =
      "How long a read of a conversation waits for the events this gateway wrote to it to be applied, so that a client"
          + " reads its own writes.";

  public static final String FAILOVER_WAIT_CONFIG = "gateway.failover.wait.ms";
  public static final String FAILOVER_WAIT_DOC =
      "How long a read of a conversation waits while no instance can answer for it (its partition"
          + " moves in a rebalance, restores, or fails over from an instance that stopped or died)"
          + " before it fails with 503 conversation_unavailable or peer_unreachable.";

  /** The definitions. */
  public static final ConfigDef CONFIG = definitions();

  public GatewayConfig(final Map<?, ?> props) {
    super(CONFIG, props, false);
  }

  private static ConfigDef definitions() {
    return new ConfigDef()
        .define(
            BOOTSTRAP_SERVERS_CONFIG,
            ConfigDef.Type.STRING,
            "localhost:9092",
            new ConfigDef.NonEmptyString(),
            Importance.HIGH,
            BOOTSTRAP_SERVERS_DOC)
        .define(
            HOST_CONFIG,
            ConfigDef.Type.STRING,
            "localhost",
            new ConfigDef.NonEmptyString(),
            Importance.HIGH,
            HOST_DOC)
        .define(
            PORT_CONFIG,
            ConfigDef.Type.INT,
            8080,
            Range.between(0, 65_535),
            Importance.HIGH,
            PORT_DOC)
        .define(API_KEYS_CONFIG, ConfigDef.Type.PASSWORD, "", Importance.HIGH, API_KEYS_DOC)
        .define(PEER_SECRET_CONFIG, ConfigDef.Type.PASSWORD, "", Importance.HIGH, PEER_SECRET_DOC)
        .define(INSTANCE_ID_CONFIG, ConfigDef.Type.STRING, "", Importance.MEDIUM, INSTANCE_ID_DOC)
        .define(
            LIVE_TOKENS_CONFIG, ConfigDef.Type.BOOLEAN, true, Importance.MEDIUM, LIVE_TOKENS_DOC)
        .define(AUTO_REUSE_CONFIG, ConfigDef.Type.BOOLEAN, true, Importance.MEDIUM, AUTO_REUSE_DOC)
        .define(
            RATE_LIMIT_CONFIG,
            ConfigDef.Type.DOUBLE,
            50.0,
            Range.atLeast(0),
            Importance.MEDIUM,
            RATE_LIMIT_DOC)
        .define(
            RATE_BURST_CONFIG,
            ConfigDef.Type.INT,
            100,
            Range.between(1, 1_000_000),
            Importance.MEDIUM,
            RATE_BURST_DOC)
        .define(
            BODY_LIMIT_CONFIG,
            ConfigDef.Type.LONG,
            1024L * 1024,
            Range.between(1024, 1L << 30),
            Importance.MEDIUM,
            BODY_LIMIT_DOC)
        .define(CORS_ORIGINS_CONFIG, ConfigDef.Type.LIST, "", Importance.MEDIUM, CORS_ORIGINS_DOC)
        .define(ALLOWED_HOSTS_CONFIG, ConfigDef.Type.LIST, "", Importance.MEDIUM, ALLOWED_HOSTS_DOC)
        .define(
            REQUEST_TIMEOUT_CONFIG,
            ConfigDef.Type.LONG,
            30_000L,
            Range.between(1_000, 3_600_000),
            Importance.MEDIUM,
            REQUEST_TIMEOUT_DOC)
        .define(
            REPLY_TIMEOUT_CONFIG,
            ConfigDef.Type.LONG,
            120_000L,
            Range.between(100, 3_600_000),
            Importance.MEDIUM,
            REPLY_TIMEOUT_DOC)
        .define(
            MAX_GENERATIONS_CONFIG,
            ConfigDef.Type.INT,
            1024,
            Range.between(1, 1_000_000),
            Importance.MEDIUM,
            MAX_GENERATIONS_DOC)
        .define(
            MAX_CONNECTIONS_CONFIG,
            ConfigDef.Type.INT,
            10_000,
            Range.between(1, 10_000_000),
            Importance.MEDIUM,
            MAX_CONNECTIONS_DOC)
        .define(
            MAX_NEW_MESSAGES_CONFIG,
            ConfigDef.Type.INT,
            1024,
            Range.between(1, 1_000_000),
            Importance.LOW,
            MAX_NEW_MESSAGES_DOC)
        .define(
            MAX_PENDING_WRITES_CONFIG,
            ConfigDef.Type.INT,
            10_000,
            Range.between(1, 10_000_000),
            Importance.LOW,
            MAX_PENDING_WRITES_DOC)
        .define(
            INSTANCES_CONFIG,
            ConfigDef.Type.INT,
            0,
            Range.between(0, 1024),
            Importance.LOW,
            INSTANCES_DOC)
        .define(
            HEARTBEAT_CONFIG,
            ConfigDef.Type.LONG,
            15_000L,
            Range.between(100, 3_600_000),
            Importance.LOW,
            HEARTBEAT_DOC)
        .define(
            IDLE_TIMEOUT_CONFIG,
            ConfigDef.Type.LONG,
            300_000L,
            Range.between(1_000, 86_400_000),
            Importance.LOW,
            IDLE_TIMEOUT_DOC)
        .define(
            STREAM_BUFFER_CONFIG,
            ConfigDef.Type.INT,
            1024 * 1024,
            Range.between(1024, 1 << 30),
            Importance.LOW,
            STREAM_BUFFER_DOC)
        .define(
            READ_YOUR_WRITES_CONFIG,
            ConfigDef.Type.LONG,
            5_000L,
            Range.between(0, 600_000),
            Importance.LOW,
            READ_YOUR_WRITES_DOC)
        .define(
            FAILOVER_WAIT_CONFIG,
            ConfigDef.Type.LONG,
            15_000L,
            Range.between(0, 600_000),
            Importance.LOW,
            FAILOVER_WAIT_DOC);
  }

  @Override
  protected Map<String, Object> postProcessParsedConfig(final Map<String, Object> parsed) {
    final long heartbeat = (Long) parsed.get(HEARTBEAT_CONFIG);
    final long idle = (Long) parsed.get(IDLE_TIMEOUT_CONFIG);
    parseKeys((Password) parsed.get(API_KEYS_CONFIG));
    if (heartbeat >= idle) {
      throw new ConfigException(
          HEARTBEAT_CONFIG,
          heartbeat,
          "must be below " + IDLE_TIMEOUT_CONFIG + " (" + idle + "), or idle streams are cut");
    }
    return Map.of();
  }

  /**
   * An accepted API key and the tenant whose conversations it reaches.
   *
   * @param tenant the tenant ({@link TenantKeys#DEFAULT_TENANT} for keys given without one)
   * @param secret the key itself; never printed
   */
  public record ApiKey(String tenant, String secret) {
    @Override
    public String toString() {
      return "ApiKey[tenant=" + tenant + "]";
    }
  }

  /** The configured API keys (empty: authentication off). */
  public List<ApiKey> apiKeys() {
    return parseKeys(getPassword(API_KEYS_CONFIG));
  }

  /**
   * {@code KEY} or {@code TENANT:KEY} entries, comma-separated: the part before the first {@code :}
   * is a tenant when it is a valid tenant name.
   */
  private static List<ApiKey> parseKeys(final Password keys) {
    final List<ApiKey> out = new ArrayList<>();
    final Map<String, String> tenantOf = new HashMap<>();
    for (final String entry : keys.value().split(",", -1)) {
      final String e = entry.strip();
      if (e.isEmpty()) {
        continue;
      }
      final int colon = e.indexOf(':');
      final boolean hasTenant = colon > 0 && TenantKeys.validTenant(e.substring(0, colon));
      final ApiKey key =
          hasTenant
              ? new ApiKey(e.substring(0, colon), e.substring(colon + 1).strip())
              : new ApiKey(TenantKeys.DEFAULT_TENANT, e);
      if (key.secret().isEmpty()) {
        throw new ConfigException(
            API_KEYS_CONFIG + " has an entry of tenant '" + key.tenant() + "' with an empty key");
      }
      final String before = tenantOf.putIfAbsent(key.secret(), key.tenant());
      if (before != null && !before.equals(key.tenant())) {
        throw new ConfigException(
            API_KEYS_CONFIG
                + " gives one key to two tenants ('"
                + before
                + "' and '"
                + key.tenant()
                + "'); a key belongs to one tenant");
      }
      out.add(key);
    }
    return List.copyOf(out);
  }

  /** Settings with the {@code gateway.kafka.} prefix, prefix removed. */
  public Map<String, Object> kafkaOverrides() {
    return originalsWithPrefix(KAFKA_PREFIX, true);
  }

  /** A copy with {@code key} set to {@code value} (over every other source). */
  public GatewayConfig with(final String key, final Object value) {
    final Map<String, Object> props = new HashMap<>(originals());
    props.put(key, value);
    return new GatewayConfig(props);
  }

  /**
   * Loads the configuration: {@code file} (may be null), then the environment, then {@code
   * overrides}, later sources winning.
   *
   * @throws ConfigException when the file cannot be read or a value is invalid (the key is named)
   */
  public static GatewayConfig load(
      final Path file, final Map<String, String> env, final Map<String, ?> overrides) {
    return new GatewayConfig(ConfigSources.layered(file, env, overrides, CONFIG, KAFKA_PREFIX));
  }

  /**
   * The settings named by environment variables: {@code FINCHSTREAM_GATEWAY_API_KEYS=a,b} gives
   * {@code gateway.api.keys=a,b}. Variables that name no gateway key are ignored, except {@code
   * FINCHSTREAM_GATEWAY_KAFKA_*}, which are passed through.
   */
  public static Map<String, String> fromEnvironment(final Map<String, String> env) {
    return ConfigSources.fromEnvironment(env, CONFIG, KAFKA_PREFIX);
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
