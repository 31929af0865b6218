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
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running gateway: the Kafka producer, the reply consumer thread and the HTTP verticles (one
 * per event loop). {@link #start} returns once the server listens; {@link #close} stops everything
 * it started, in reverse order. The {@link Vertx} instance belongs to the caller.
 */
public final class Gateway implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
  private static final AtomicInteger SHARED_RANDOM_PORTS = new AtomicInteger();

  private final GatewayServices services;
  private final HttpClient peers;
  private final List<AutoCloseable> meters;
  private String deploymentId;
  private int port;
  private boolean ownsVertx;

  private Gateway(
      final GatewayServices services, final HttpClient peers, final List<AutoCloseable> meters) {
    this.services = services;
    this.peers = peers;
    this.meters = meters;
  }

  /**
   * Starts a gateway on a Vert.x instance of its own (closed with the gateway), for callers that do
   * not use Vert.x themselves (the {@code finchstream} CLI). Blocks until the server listens.
   *
   * @throws Exception when it cannot start (the port is taken, say); nothing is left running
   */
  public static Gateway launch(final GatewayConfig config, final GatewayPorts ports)
      throws Exception {
    final Vertx vertx = Vertx.vertx();
    try {
      final Gateway gateway =
          start(vertx, config, ports)
              .toCompletionStage()
              .toCompletableFuture()
              .get(
                  config.getLong(GatewayConfig.REQUEST_TIMEOUT_CONFIG) + 30_000,
                  TimeUnit.MILLISECONDS);
      gateway.ownsVertx = true;
      return gateway;
    } catch (final ExecutionException e) {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      throw e.getCause() instanceof Exception cause ? cause : e;
    } catch (final Exception e) {
      vertx.close();
      throw e;
    }
  }

  /**
   * Starts a gateway on {@code vertx}. Blocking setup (Kafka clients) runs on a worker; the future
   * completes on the caller's context once the HTTP server listens.
   */
  public static Future<Gateway> start(
      final Vertx vertx, final GatewayConfig config, final GatewayPorts ports) {
    return vertx
        .executeBlocking(() -> create(vertx, config, ports))
        .compose(
            gateway ->
                gateway
                    .deploy(vertx)
                    .recover(
                        e -> {
                          gateway.close();
                          return Future.failedFuture(e);
                        }));
  }

  private static Gateway create(
      final Vertx vertx, final GatewayConfig config, final GatewayPorts ports)
      throws InterruptedException {
    final String configured = config.getString(GatewayConfig.INSTANCE_ID_CONFIG);
    final String instanceId =
        configured.isEmpty()
            ? "gw-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong())
            : configured;
    final Map<String, Object> common = new HashMap<>();
    common.put("bootstrap.servers", config.getString(GatewayConfig.BOOTSTRAP_SERVERS_CONFIG));
    common.putAll(config.kafkaOverrides());

    final Map<String, Object> producerProps = new HashMap<>(common);
    producerProps.put("client.id", "finchstream-gateway-" + instanceId);
    producerProps.putAll(
        EventPublisher.requiredProducerSettings(
            config.getLong(GatewayConfig.REQUEST_TIMEOUT_CONFIG)));
    // Replies are latency-critical: do not let the broker hold an empty fetch for the default 500
    // ms.
    final Map<String, Object> consumerProps = new HashMap<>(Map.of("fetch.max.wait.ms", 50));
    consumerProps.putAll(common);
    consumerProps.put("client.id", "finchstream-gateway-" + instanceId + "-replies");
    consumerProps.putAll(ReplyListener.requiredConsumerSettings());
    final Map<String, Object> adminProps = new HashMap<>(common);
    adminProps.put("client.id", "finchstream-gateway-" + instanceId + "-admin");

    final List<AutoCloseable> meters = new ArrayList<>();
    final KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps);
    final KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps);
    final KafkaClientMetrics producerMetrics = new KafkaClientMetrics(producer);
    producerMetrics.bindTo(ports.metrics());
    meters.add(producerMetrics);
    final KafkaClientMetrics consumerMetrics = new KafkaClientMetrics(consumer);
    consumerMetrics.bindTo(ports.metrics());
    meters.add(consumerMetrics);

    final WriteTracker tracker = new WriteTracker(100_000);
    final ReplyRouter router = new ReplyRouter();
    final AtomicInteger active = new AtomicInteger();
    final AtomicInteger connections = new AtomicInteger();
    final GatewayMetrics metrics =
        new GatewayMetrics(ports.metrics(), active, connections, router::unrouted);
    final ReplyListener listener =
        new ReplyListener(consumer, instanceId, router, metrics::replyDelay);
    final EventPublisher publisher =
        new EventPublisher(
            producer,
            tracker,
            config.getInt(GatewayConfig.MAX_PENDING_WRITES_CONFIG),
            config.getLong(GatewayConfig.REQUEST_TIMEOUT_CONFIG));
    final KafkaReachability kafka = new KafkaReachability(Admin.create(adminProps), 2_000);
    final HttpClient peers = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true));
    final String secret = config.getPassword(GatewayConfig.PEER_SECRET_CONFIG).value();
    if (secret.isEmpty()) {
      LOG.info(
          "no {}: reads of conversations that other instances own cannot be forwarded to them",
          GatewayConfig.PEER_SECRET_CONFIG);
    }
    final PeerSignature signature = new PeerSignature(secret, System::currentTimeMillis);
    final ConversationResolver resolver =
        new ConversationResolver(
            vertx,
            ports.directory(),
            tracker,
            peers,
            signature,
            config.getLong(GatewayConfig.READ_YOUR_WRITES_CONFIG),
            config.getLong(GatewayConfig.REQUEST_TIMEOUT_CONFIG));
    final RateLimiter limiter =
        new RateLimiter(
            config.getDouble(GatewayConfig.RATE_LIMIT_CONFIG),
            config.getInt(GatewayConfig.RATE_BURST_CONFIG),
            System::nanoTime);
    final GatewayServices services =
        new GatewayServices(
            vertx,
            config,
            ports,
            instanceId,
            publisher,
            router,
            listener,
            tracker,
            kafka,
            resolver,
            new Admission(vertx, ports.admission()),
            signature,
            limiter,
            metrics,
            active,
            connections,
            ConcurrentHashMap.newKeySet());
    listener.start();
    if (!listener.awaitAssigned(Duration.ofSeconds(10))) {
      LOG.warn(
          "gateway {} is not reading replies yet ({}); generations get 503 until it is",
          instanceId,
          listener.problem());
    }
    return new Gateway(services, peers, meters);
  }

  private Future<Gateway> deploy(final Vertx vertx) {
    final int configured = services.config().getInt(GatewayConfig.INSTANCES_CONFIG);
    final int instances =
        configured > 0 ? configured : Math.max(1, Runtime.getRuntime().availableProcessors());
    final int requested = services.config().getInt(GatewayConfig.PORT_CONFIG);
    // Port 0 means "any free port" for each server; a negative port makes the instances share one
    // (a different negative number per gateway, or two gateways in one Vert.x would share it too).
    final int listenPort =
        requested == 0 && instances > 1 ? SHARED_RANDOM_PORTS.decrementAndGet() : requested;
    final List<GatewayVerticle> verticles = new ArrayList<>();
    return vertx
        .deployVerticle(
            () -> {
              final GatewayVerticle v = new GatewayVerticle(services, listenPort);
              synchronized (verticles) {
                verticles.add(v);
              }
              return v;
            },
            new DeploymentOptions().setInstances(instances))
        .map(
            id -> {
              deploymentId = id;
              port = verticles.get(0).actualPort();
              LOG.info(
                  "gateway {} serving on http://{}:{} ({} event loops, API keys {}, reply topic read: {})",
                  services.instanceId(),
                  services.config().getString(GatewayConfig.HOST_CONFIG),
                  port,
                  instances,
                  services.config().apiKeys().isEmpty() ? "off" : "required",
                  services.listener().assigned());
              return this;
            });
  }

  /** The port the HTTP server listens on. */
  public int port() {
    return port;
  }

  /** This gateway's instance id (the reply_to of its Generates). */
  public String instanceId() {
    return services.instanceId();
  }

  /** Generations this gateway waits on now. */
  public int activeGenerations() {
    return services.activeGenerations().get();
  }

  /** Stops serving and closes the Kafka clients. Blocks for at most a few seconds. */
  @Override
  public void close() {
    final Vertx vertx = services.vertx();
    if (deploymentId != null) {
      try {
        vertx.undeploy(deploymentId).await(10, TimeUnit.SECONDS);
      } catch (final Exception e) {
        LOG.warn("gateway verticles did not stop cleanly: {}", e.toString());
      }
      deploymentId = null;
    }
    services.listener().close();
    services.publisher().close();
    services.kafka().close();
    peers.close();
    for (final AutoCloseable m : meters) {
      try {
        m.close();
      } catch (final Exception e) {
        LOG.debug("closing a meter binder failed", e);
      }
    }
    if (ownsVertx) {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (final Exception e) {
        LOG.warn("Vert.x did not stop cleanly: {}", e.toString());
      }
    }
  }
}
