package io.finchstream.app;

import io.finchstream.gateway.ApiModel;
import io.finchstream.gateway.Gateway;
import io.finchstream.gateway.GatewayConfig;
import io.finchstream.gateway.GatewayPorts;
import io.finchstream.gateway.ReadinessProbe;
import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.FinchstreamService;
import io.finchstream.processors.MemberId;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the gateway in front of a running {@link FinchstreamService}: its interactive queries as the
 * gateway's directory, "streams RUNNING" as a readiness check, the processors' event limits, and
 * one Prometheus registry for {@code /metrics} with the gateway's, the processors', Kafka Streams'
 * (RocksDB included) and the JVM's meters. Used by {@code finchstream up} and {@code serve}.
 */
final class GatewayLauncher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(GatewayLauncher.class);

  private final Gateway gateway;
  private final KafkaStreamsMetrics streamsMetrics;

  private GatewayLauncher(final Gateway gateway, final KafkaStreamsMetrics streamsMetrics) {
    this.gateway = gateway;
    this.streamsMetrics = streamsMetrics;
  }

  /**
   * The registry {@code /metrics} serves, with JVM meters bound; give it to the FinchstreamService
   * too.
   */
  static PrometheusMeterRegistry newRegistry() {
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    return registry;
  }

  /**
   * The gateway's configuration: {@code file} (may be null), the environment, then {@code
   * overrides} (command-line options such as --port).
   */
  static GatewayConfig config(final Path file, final Map<String, Object> overrides) {
    return GatewayConfig.load(file, System.getenv(), overrides);
  }

  /**
   * Refuses to serve without API keys unless {@code insecure} (for {@code finchstream serve}).
   *
   * @throws IllegalArgumentException saying how to fix it
   */
  static void requireKeysUnlessInsecure(final GatewayConfig config, final boolean insecure) {
    if (config.apiKeys().isEmpty() && !insecure) {
      throw new IllegalArgumentException(
          "no API keys configured: set "
              + GatewayConfig.API_KEYS_CONFIG
              + " (or FINCHSTREAM_GATEWAY_API_KEYS) to a comma-separated list of keys, or pass --insecure to serve without authentication");
    }
  }

  /** File under {@code up}'s data directory holding the cluster's {@code gateway.peer.secret}. */
  static final String PEER_SECRET_FILE = "gateway-peer.secret";

  /**
   * {@code config} with a {@code gateway.peer.secret}: its own if it has one, else the one of the
   * cluster whose data lives in {@code dataDir} (made on first use: 32 random bytes as hex,
   * readable by the owner only), so that {@code serve} instances that join {@code up}'s broker can
   * be given the same secret.
   */
  static GatewayConfig withClusterSecret(final GatewayConfig config, final Path dataDir)
      throws IOException {
    if (!config.getPassword(GatewayConfig.PEER_SECRET_CONFIG).value().isEmpty()) {
      return config;
    }
    final Path file = dataDir.resolve(PEER_SECRET_FILE);
    if (!Files.exists(file)) {
      Files.createDirectories(dataDir);
      final byte[] secret = new byte[32];
      new SecureRandom().nextBytes(secret);
      final Path tmp = Files.createTempFile(dataDir, PEER_SECRET_FILE, ".tmp");
      try {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      } catch (final UnsupportedOperationException e) {
        // not a POSIX file system: the directory's permissions protect it
      }
      Files.writeString(tmp, HexFormat.of().formatHex(secret) + "\n");
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    }
    return config.with(GatewayConfig.PEER_SECRET_CONFIG, Files.readString(file).strip());
  }

  /**
   * Starts the gateway for {@code service}, whose model it shows with {@code description} (empty:
   * none); returns once it listens. Unless {@code gateway.instance.id} is configured, the gateway's
   * id is the instance's stable id (kept in its state directory), so that the replies of a
   * generation that outlived a restart come back to it, which then cancels it if its client is
   * gone.
   */
  static GatewayLauncher start(
      final FinchstreamService service,
      final String description,
      final FinchstreamConfig processors,
      final GatewayConfig config,
      final PrometheusMeterRegistry registry)
      throws Exception {
    warnOnMismatchedAddress(processors, config);
    final GatewayConfig identified =
        config.getString(GatewayConfig.INSTANCE_ID_CONFIG).isBlank()
            ? config.with(
                GatewayConfig.INSTANCE_ID_CONFIG,
                MemberId.of(Path.of(processors.getString(FinchstreamConfig.STATE_DIR_CONFIG))))
            : config;
    final KafkaStreamsMetrics streamsMetrics = new KafkaStreamsMetrics(service.streams());
    streamsMetrics.bindTo(registry);
    final GatewayPorts ports =
        new GatewayPorts(
            new ProcessorsDirectory(service.queries()),
            () ->
                List.of(
                    new ReadinessProbe.Check(
                        "streams",
                        service.state() == KafkaStreams.State.RUNNING,
                        "state " + service.state())),
            new ApiModel(
                ServedModels.apiName(service.model()),
                service.model().info().id(),
                service.model().info().vocabSize(),
                System.currentTimeMillis() / 1000,
                description),
            ProcessorsAdmission.limits(processors),
            new ProcessorsAdmission(service.model(), processors, service.queries()),
            registry);
    try {
      return new GatewayLauncher(Gateway.launch(identified, ports), streamsMetrics);
    } catch (final Exception e) {
      streamsMetrics.close();
      throw e;
    }
  }

  /**
   * application.server must be this instance's gateway, or other instances forward reads to the
   * wrong place.
   */
  private static void warnOnMismatchedAddress(
      final FinchstreamConfig processors, final GatewayConfig config) {
    final String server = processors.getString(FinchstreamConfig.APPLICATION_SERVER_CONFIG);
    final int port = config.getInt(GatewayConfig.PORT_CONFIG);
    if (!server.isBlank() && port != 0 && HostInfo.buildFromEndpoint(server).port() != port) {
      LOG.warn(
          "{}={} but the gateway listens on port {}: other instances will forward conversation reads to the wrong port",
          FinchstreamConfig.APPLICATION_SERVER_CONFIG,
          server,
          port);
    }
  }

  /** The port the gateway listens on. */
  int port() {
    return gateway.port();
  }

  /** {@code http://host:port} of the gateway, for people. */
  String url(final GatewayConfig config) {
    final String host = config.getString(GatewayConfig.HOST_CONFIG);
    return "http://" + ("0.0.0.0".equals(host) ? "localhost" : host) + ":" + port();
  }

  @Override
  public void close() {
    gateway.close();
    streamsMetrics.close();
  }
}
