package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.gateway.GatewayConfig;
import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.FinchstreamService;
import io.finchstream.processors.testing.KafkaTestCluster;
import io.finchstream.processors.testing.ServiceConfigs;
import io.finchstream.processors.testing.TestModels;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway wired to real processors as {@code up} and {@code serve} do it. */
class GatewayLauncherTest {

  @TempDir Path dir;

  @Test
  void shouldServeTheProcessorsWithReadinessAndMetricsOfEveryLayer() throws Exception {
    try (KafkaTestCluster cluster = KafkaTestCluster.start(1)) {
      final FinchstreamConfig processors =
          new FinchstreamConfig(
              ServiceConfigs.forTest(cluster.bootstrapServers(), "launcher", dir, 2, (short) 1));
      final PrometheusMeterRegistry registry = GatewayLauncher.newRegistry();
      final GatewayConfig config =
          GatewayLauncher.config(
              null,
              Map.of(
                  GatewayConfig.BOOTSTRAP_SERVERS_CONFIG,
                  cluster.bootstrapServers(),
                  GatewayConfig.PORT_CONFIG,
                  0,
                  GatewayConfig.INSTANCES_CONFIG,
                  1));
      try (FinchstreamService service =
          new FinchstreamService(processors, TestModels.randomFinch(), registry)) {
        service.start();
        assertThat(service.awaitRunning(Duration.ofSeconds(90))).isTrue();
        try (GatewayLauncher gateway =
            GatewayLauncher.start(service, "", processors, config, registry)) {
          final String base = gateway.url(config);
          final HttpClient http = HttpClient.newHttpClient();
          final HttpResponse<String> ready =
              http.send(
                  HttpRequest.newBuilder(URI.create(base + "/health/ready")).build(),
                  HttpResponse.BodyHandlers.ofString());
          assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
          assertThat(ready.body()).contains("\"name\":\"streams\",\"ok\":true");

          final HttpResponse<String> appended =
              http.send(
                  HttpRequest.newBuilder(URI.create(base + "/v1/conversations/wired/messages"))
                      .header("Content-Type", "application/json")
                      .POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"Hello\"}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          assertThat(appended.statusCode()).isEqualTo(202);
          final HttpResponse<String> meta =
              http.send(
                  HttpRequest.newBuilder(URI.create(base + "/v1/conversations/wired")).build(),
                  HttpResponse.BodyHandlers.ofString());
          assertThat(meta.statusCode()).as(meta.body()).isEqualTo(200);
          assertThat(meta.body())
              .contains("\"tokens\":" + "User: Hello\n\n".length())
              .contains("\"messages\":1");

          final String metrics =
              http.send(
                      HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body();
          assertThat(metrics)
              .contains("finchstream_gateway_http_requests_seconds_count")
              .contains("kafka_stream_thread_")
              .contains("kafka_stream_state_")
              .contains("rocksdb_state_id=")
              .contains("jvm_memory_used_bytes");
        }
      }
    }
  }

  @Test
  void shouldRefuseToServeWithoutKeysUnlessInsecure() {
    final GatewayConfig open = new GatewayConfig(Map.of());
    assertThatThrownBy(() -> GatewayLauncher.requireKeysUnlessInsecure(open, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("gateway.api.keys")
        .hasMessageContaining("--insecure");
    GatewayLauncher.requireKeysUnlessInsecure(open, true);
    GatewayLauncher.requireKeysUnlessInsecure(
        new GatewayConfig(Map.of(GatewayConfig.API_KEYS_CONFIG, "k")), false);
  }

  @Test
  void shouldPassTheProcessorsLimitsToTheGateway() {
    final FinchstreamConfig processors =
        new FinchstreamConfig(
            Map.of(
                FinchstreamConfig.MAX_TEXT_BYTES_CONFIG,
                1234,
                FinchstreamConfig.MAX_GENERATE_TOKENS_CONFIG,
                99,
                FinchstreamConfig.DEFAULT_GENERATE_TOKENS_CONFIG,
                9));
    assertThat(ProcessorsAdmission.limits(processors).maxTextBytes()).isEqualTo(1234);
    assertThat(ProcessorsAdmission.limits(processors).maxGenerateTokens()).isEqualTo(99);
    assertThat(ProcessorsAdmission.limits(processors).defaultGenerateTokens()).isEqualTo(9);
  }

  @Test
  void shouldGiveTheGatewaysOfUpsClusterOneSecretThatStaysOnDisk() throws Exception {
    final GatewayConfig none = new GatewayConfig(Map.of());
    final GatewayConfig first = GatewayLauncher.withClusterSecret(none, dir);
    final String secret = first.getPassword(GatewayConfig.PEER_SECRET_CONFIG).value();
    assertThat(secret).matches("[0-9a-f]{64}");
    assertThat(Files.getPosixFilePermissions(dir.resolve("gateway-peer.secret")))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    assertThat(
            GatewayLauncher.withClusterSecret(none, dir)
                .getPassword(GatewayConfig.PEER_SECRET_CONFIG)
                .value())
        .as("the next start of up reuses it")
        .isEqualTo(secret);
    final GatewayConfig configured =
        new GatewayConfig(Map.of(GatewayConfig.PEER_SECRET_CONFIG, "operator-chosen"));
    assertThat(
            GatewayLauncher.withClusterSecret(configured, dir)
                .getPassword(GatewayConfig.PEER_SECRET_CONFIG)
                .value())
        .isEqualTo("operator-chosen");
    assertThat(first.values().toString()).doesNotContain(secret); // what logAll prints
  }
}
