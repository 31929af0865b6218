package io.finchstream.gateway.testing;

import io.finchstream.gateway.ApiModel;
import io.finchstream.gateway.ConversationDirectory;
import io.finchstream.gateway.EventAdmission;
import io.finchstream.gateway.EventLimits;
import io.finchstream.gateway.Gateway;
import io.finchstream.gateway.GatewayConfig;
import io.finchstream.gateway.GatewayPorts;
import io.finchstream.gateway.ReadinessProbe;
import io.finchstream.processors.testing.KafkaTestCluster;
import io.finchstream.proto.Topics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A gateway on port 0 against a test cluster, for tests. */
public final class GatewayHarness implements AutoCloseable {

  /** The model the scripted tests pretend to serve: byte-level, like the tiny test model. */
  public static final ApiModel MODEL =
      new ApiModel(
          "scripted-byte-model",
          "0123456789abcdef",
          256,
          1_700_000_000L,
          "a scripted test model, not a language model");

  private final Gateway gateway;
  private final PrometheusMeterRegistry registry;

  private GatewayHarness(final Gateway gateway, final PrometheusMeterRegistry registry) {
    this.gateway = gateway;
    this.registry = registry;
  }

  /** Creates the events and replies topics (3 partitions each). */
  public static void createTopics(final KafkaTestCluster cluster) throws Exception {
    cluster.createTopics(3, Topics.EVENTS, Topics.REPLIES);
  }

  /** Test defaults: port 0, two event loops, generous rate limits; {@code overrides} win. */
  public static GatewayConfig config(
      final KafkaTestCluster cluster, final Map<String, Object> overrides) {
    final Map<String, Object> props = new HashMap<>();
    props.put(GatewayConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
    props.put(GatewayConfig.PORT_CONFIG, 0);
    props.put(GatewayConfig.INSTANCES_CONFIG, 2);
    props.put(GatewayConfig.RATE_LIMIT_CONFIG, 0);
    props.putAll(overrides);
    return new GatewayConfig(props);
  }

  public static GatewayHarness start(
      final Vertx vertx,
      final GatewayConfig config,
      final ConversationDirectory directory,
      final ReadinessProbe readiness,
      final EventLimits limits)
      throws Exception {
    return start(vertx, config, directory, readiness, limits, MODEL);
  }

  public static GatewayHarness start(
      final Vertx vertx,
      final GatewayConfig config,
      final ConversationDirectory directory,
      final ReadinessProbe readiness,
      final EventLimits limits,
      final ApiModel model)
      throws Exception {
    return start(
        vertx, config, directory, readiness, limits, model, ProcessorsAdmission.bytes(limits));
  }

  public static GatewayHarness start(
      final Vertx vertx,
      final GatewayConfig config,
      final ConversationDirectory directory,
      final ReadinessProbe readiness,
      final EventLimits limits,
      final ApiModel model,
      final EventAdmission admission)
      throws Exception {
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final Gateway gateway =
        Gateway.start(
                vertx,
                config,
                new GatewayPorts(directory, readiness, model, limits, admission, registry))
            .toCompletionStage()
            .toCompletableFuture()
            .get(60, TimeUnit.SECONDS);
    return new GatewayHarness(gateway, registry);
  }

  public Gateway gateway() {
    return gateway;
  }

  public int port() {
    return gateway.port();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  @Override
  public void close() {
    gateway.close();
    registry.close();
  }
}
