package io.finchstream.gateway.testing;

import io.finchstream.gateway.EventLimits;
import io.finchstream.gateway.ReadinessProbe;
import io.finchstream.processors.testing.KafkaTestCluster;
import io.vertx.core.Vertx;
import java.util.Map;

/**
 * The stack the scripted gateway tests run against: a one-broker {@link KafkaTestCluster} with the
 * gateway's topics, {@link ScriptedProcessors} answering on it, and a {@link GatewayHarness} in
 * front. {@link #prepare} starts the first two (so a test can script replies), {@link #start} the
 * gateway; {@link #close} stops what was started, gateway first.
 */
public final class ScriptedGateway implements AutoCloseable {

  private final KafkaTestCluster cluster;
  private final ScriptedProcessors processors;
  private GatewayHarness harness;

  private ScriptedGateway(final KafkaTestCluster cluster, final ScriptedProcessors processors) {
    this.cluster = cluster;
    this.processors = processors;
  }

  /** The cluster, its topics and the scripted processors; no gateway yet. */
  public static ScriptedGateway prepare() throws Exception {
    final KafkaTestCluster cluster = KafkaTestCluster.start(1);
    try {
      GatewayHarness.createTopics(cluster);
      return new ScriptedGateway(cluster, new ScriptedProcessors(cluster));
    } catch (final Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  /**
   * Starts the gateway with the test defaults of {@link GatewayHarness#config} and {@code
   * overrides}.
   */
  public ScriptedGateway start(
      final Vertx vertx,
      final Map<String, Object> overrides,
      final ReadinessProbe readiness,
      final EventLimits limits)
      throws Exception {
    harness =
        GatewayHarness.start(
            vertx, GatewayHarness.config(cluster, overrides), processors, readiness, limits);
    return this;
  }

  /** The scripted processors (also the gateway's conversation directory). */
  public ScriptedProcessors processors() {
    return processors;
  }

  /** The gateway, once started. */
  public GatewayHarness harness() {
    return harness;
  }

  @Override
  public void close() {
    if (harness != null) {
      harness.close();
    }
    processors.close();
    cluster.close();
  }
}
