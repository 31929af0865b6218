package io.finchstream.gateway.testing;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.gateway.ApiModel;
import io.finchstream.gateway.EventLimits;
import io.finchstream.gateway.ReadinessProbe;
import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.FinchstreamService;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.event.EventValidator;
import io.finchstream.processors.testing.KafkaTestCluster;
import io.finchstream.processors.testing.ServiceConfigs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The whole service for the gateway's end-to-end tests, every part real: a one-broker KRaft
 * cluster, the processors ({@link FinchstreamService}, 2 partitions) on {@code model}, and a
 * gateway on them whose limits and admission are the processors' own, with a plain HTTP client and
 * the official OpenAI SDK against it. The processors can be restarted on their state between two
 * requests ({@link #restartProcessors}); the gateway then reads the new instance.
 */
public final class ServiceStack implements AutoCloseable {

  private final LoadedModel model;
  private final FinchstreamConfig config;
  private final KafkaTestCluster cluster;
  private final GatewayHarness harness;
  private final Http http;
  private volatile FinchstreamService service;

  private ServiceStack(
      final LoadedModel model,
      final FinchstreamConfig config,
      final KafkaTestCluster cluster,
      final FinchstreamService service,
      final GatewayHarness harness,
      final Http http) {
    this.model = model;
    this.config = config;
    this.cluster = cluster;
    this.service = service;
    this.harness = harness;
    this.http = http;
  }

  /**
   * Starts the stack: processors of {@code applicationId} with the test defaults and {@code
   * processorsOverrides}, and a gateway with the test defaults and {@code gatewayOverrides}; {@code
   * modelName} is the name {@code /v1/models} lists.
   */
  public static ServiceStack start(
      final Vertx vertx,
      final LoadedModel model,
      final String modelName,
      final String applicationId,
      final Map<String, Object> processorsOverrides,
      final Map<String, Object> gatewayOverrides)
      throws Exception {
    final KafkaTestCluster cluster = KafkaTestCluster.start(1);
    FinchstreamService service = null;
    try {
      final Path stateDir = Files.createTempDirectory(applicationId);
      final Map<String, Object> props =
          new HashMap<>(
              ServiceConfigs.forTest(
                  cluster.bootstrapServers(), applicationId, stateDir, 2, (short) 1));
      props.putAll(processorsOverrides);
      final FinchstreamConfig config = new FinchstreamConfig(props);
      service = started(config, model);
      final EventLimits limits = limits(config);
      final ServiceStack[] self = new ServiceStack[1];
      final ReadinessProbe streams =
          () ->
              List.of(
                  new ReadinessProbe.Check(
                      "streams",
                      self[0] != null && self[0].service.state() == KafkaStreams.State.RUNNING,
                      self[0] == null ? "starting" : "state " + self[0].service.state()));
      final GatewayHarness harness =
          GatewayHarness.start(
              vertx,
              GatewayHarness.config(cluster, gatewayOverrides),
              new ServiceDirectory(() -> self[0].service.queries()),
              streams,
              limits,
              new ApiModel(modelName, model.info().id(), model.info().vocabSize(), 1_700_000_000L),
              new ProcessorsAdmission(model.tokenizer(), limits));
      self[0] =
          new ServiceStack(
              model,
              config,
              cluster,
              service,
              harness,
              new Http(WebClient.create(vertx), harness.port()));
      return self[0];
    } catch (final Exception | Error e) {
      if (service != null) {
        service.close();
      }
      cluster.close();
      throw e;
    }
  }

  private static FinchstreamService started(final FinchstreamConfig config, final LoadedModel model)
      throws Exception {
    final FinchstreamService service =
        new FinchstreamService(config, model, new SimpleMeterRegistry());
    service.start();
    if (!service.awaitRunning(Duration.ofSeconds(90))) {
      service.close();
      throw new IllegalStateException("the processors did not reach RUNNING within 90 s");
    }
    return service;
  }

  /** The processors' limits of {@code config}, as the gateway checks them. */
  private static EventLimits limits(final FinchstreamConfig config) {
    final EventValidator.Limits limits = EventValidator.Limits.from(config);
    return new EventLimits(
        limits.maxTextBytes(),
        limits.maxAppendTokens(),
        limits.maxGenerateTokens(),
        limits.defaultGenerateTokens(),
        limits.maxStopSequences(),
        SamplingParams.MAX_STOP_STRINGS);
  }

  /** Stops the processors and starts them again on the same state directory and topics. */
  public void restartProcessors() throws Exception {
    service.close();
    service = started(config, model);
  }

  /** An OpenAI SDK client of the gateway with API key {@code apiKey}; the caller closes it. */
  public OpenAIClient openAi(final String apiKey, final Duration timeout) {
    return OpenAIOkHttpClient.builder()
        .baseUrl("http://localhost:" + harness.port() + "/v1")
        .apiKey(apiKey)
        .maxRetries(0)
        .timeout(timeout)
        .build();
  }

  public Http http() {
    return http;
  }

  public int port() {
    return harness.port();
  }

  public LoadedModel model() {
    return model;
  }

  public FinchstreamConfig config() {
    return config;
  }

  public FinchstreamService service() {
    return service;
  }

  public KafkaTestCluster cluster() {
    return cluster;
  }

  public GatewayHarness harness() {
    return harness;
  }

  @Override
  public void close() {
    try {
      harness.close();
    } finally {
      try {
        service.close();
      } finally {
        cluster.close();
      }
    }
  }
}
