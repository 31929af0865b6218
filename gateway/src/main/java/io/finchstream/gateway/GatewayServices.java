package io.finchstream.gateway;

import io.finchstream.gateway.conversation.Admission;
import io.finchstream.gateway.conversation.ConversationResolver;
import io.finchstream.gateway.http.PeerSignature;
import io.finchstream.gateway.http.RateLimiter;
import io.finchstream.gateway.kafka.EventPublisher;
import io.finchstream.gateway.kafka.KafkaReachability;
import io.finchstream.gateway.kafka.ReplyListener;
import io.finchstream.gateway.kafka.ReplyRouter;
import io.finchstream.gateway.kafka.WriteTracker;
import io.finchstream.gateway.ops.GatewayMetrics;
import io.vertx.core.Vertx;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the request handlers of every event loop share: configuration, ports, the Kafka side and the
 * per-instance counters. Everything here is thread-safe.
 *
 * @param instanceId this gateway's id (the reply_to of its Generates)
 * @param activeGenerations generations this instance waits on now
 * @param openConnections HTTP connections open now (every event loop's)
 * @param busyConversations conversations with a chat completion in flight on this instance
 *     (concurrent set)
 */
public record GatewayServices(
    Vertx vertx,
    GatewayConfig config,
    GatewayPorts ports,
    String instanceId,
    EventPublisher publisher,
    ReplyRouter router,
    ReplyListener listener,
    WriteTracker tracker,
    KafkaReachability kafka,
    ConversationResolver resolver,
    Admission admission,
    PeerSignature peerSignature,
    RateLimiter rateLimiter,
    GatewayMetrics metrics,
    AtomicInteger activeGenerations,
    AtomicInteger openConnections,
    Set<String> busyConversations) {

  public long requestTimeoutMs() {
    return config.getLong(GatewayConfig.REQUEST_TIMEOUT_CONFIG);
  }

  public long replyTimeoutMs() {
    return config.getLong(GatewayConfig.REPLY_TIMEOUT_CONFIG);
  }

  public long idleTimeoutMs() {
    return config.getLong(GatewayConfig.IDLE_TIMEOUT_CONFIG);
  }

  /** How long a read waits for this gateway's own writes (and a reply still being recorded). */
  public long readYourWritesMs() {
    return config.getLong(GatewayConfig.READ_YOUR_WRITES_CONFIG);
  }

  public long heartbeatMs() {
    return config.getLong(GatewayConfig.HEARTBEAT_CONFIG);
  }

  /** Whether tokens are delivered from the live stream, before their commit. */
  public boolean liveTokens() {
    return config.getBoolean(GatewayConfig.LIVE_TOKENS_CONFIG);
  }

  /**
   * Whether chat completions without {@code X-Conversation-Id} reuse automatic conversations: on in
   * the configuration and the directory finds prefixes.
   */
  public boolean autoReuse() {
    return config.getBoolean(GatewayConfig.AUTO_REUSE_CONFIG) && ports.directory().findsPrefixes();
  }

  public int streamBufferBytes() {
    return config.getInt(GatewayConfig.STREAM_BUFFER_CONFIG);
  }

  /** Most messages one chat completion may append to its conversation. */
  public int maxNewMessages() {
    return config.getInt(GatewayConfig.MAX_NEW_MESSAGES_CONFIG);
  }

  public int maxConnections() {
    return config.getInt(GatewayConfig.MAX_CONNECTIONS_CONFIG);
  }

  public int maxActiveGenerations() {
    return config.getInt(GatewayConfig.MAX_GENERATIONS_CONFIG);
  }
}
