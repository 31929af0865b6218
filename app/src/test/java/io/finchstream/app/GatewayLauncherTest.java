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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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

  /**
   * The gateway refuses an event for a conversation whose queue of waiting events is full with 429
   * before its 202 (issue 14: accepted means kept), as the processors would refuse it; a cancel
   * Delete still goes through (it cancels the generation), and after it appends pass again.
   */
  @Test
  void shouldAnswer429ForAnAppendToAFullQueueOfWaitingEvents() throws Exception {
    try (KafkaTestCluster cluster = KafkaTestCluster.start(1)) {
      final Map<String, Object> props =
          new HashMap<>(
              ServiceConfigs.forTest(cluster.bootstrapServers(), "queue", dir, 2, (short) 1));
      props.put(FinchstreamConfig.MAX_DEFERRED_EVENTS_CONFIG, 2);
      props.put(FinchstreamConfig.MAX_GENERATE_TOKENS_CONFIG, 1_000_000);
      final FinchstreamConfig processors = new FinchstreamConfig(props);
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
              new FinchstreamService(processors, TestModels.randomFinch(), registry);
          HttpClient http = HttpClient.newHttpClient()) {
        service.start();
        assertThat(service.awaitRunning(Duration.ofSeconds(90))).isTrue();
        try (GatewayLauncher gateway =
            GatewayLauncher.start(service, "", processors, config, registry)) {
          final String base = gateway.url(config) + "/v1/conversations/busy";
          assertThat(post(http, base + "/messages", "{\"text\":\"Hello\"}").statusCode())
              .isEqualTo(202);
          // a reply of a million tokens with end of text barred: it runs until cancelled
          final CompletableFuture<HttpResponse<String>> reply =
              http.sendAsync(
                  request(
                      base + "/generate",
                      "{\"max_tokens\":1000000,\"stream\":false,\"logit_bias\":{\"0\":-100}}"),
                  HttpResponse.BodyHandlers.ofString());
          final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
          while (!get(http, base).body().contains("\"generating\":true")) {
            assertThat(System.nanoTime()).as("the generation started").isLessThan(deadline);
            Thread.sleep(20);
          }
          // The gateway counts the events the processors have queued, not those still on their
          // way to them: appends a little apart find the queue as it is.
          final List<Integer> statuses = new ArrayList<>();
          HttpResponse<String> refused = null;
          for (int i = 0; i < 40 && refused == null; i++) {
            final HttpResponse<String> r =
                post(http, base + "/messages", "{\"text\":\"waiting " + i + "\"}");
            statuses.add(r.statusCode());
            if (r.statusCode() != 202) {
              refused = r;
            }
            Thread.sleep(250);
          }
          assertThat(statuses).as("two may wait, then 429").startsWith(202, 202).endsWith(429);
          assertThat(refused).isNotNull();
          assertThat(refused.body())
              .contains("deferred_queue_full")
              .contains("max.deferred.events=2");
          assertThat(
                  post(http, base + "/generate", "{\"max_tokens\":3,\"stream\":false}")
                      .statusCode())
              .as("a Generate is refused alike")
              .isEqualTo(429);

          assertThat(
                  http.send(
                          HttpRequest.newBuilder(URI.create(base)).DELETE().build(),
                          HttpResponse.BodyHandlers.ofString())
                      .statusCode())
              .as("a Delete (which cancels the generation first) is never refused")
              .isEqualTo(202);
          assertThat(reply.get(60, TimeUnit.SECONDS).body()).contains("cancelled");
          assertThat(post(http, base + "/messages", "{\"text\":\"again\"}").statusCode())
              .isEqualTo(202);
        }
      }
    }
  }

  /**
   * An append past {@code max.conversation.tokens} is refused before the 202 (400
   * context_length_exceeded), also as the first event of a new conversation, which the processors
   * would otherwise refuse with no conversation to list the refusal on.
   */
  @Test
  void shouldAnswer400ForAnAppendPastTheConversationsLength() throws Exception {
    try (KafkaTestCluster cluster = KafkaTestCluster.start(1)) {
      final Map<String, Object> props =
          new HashMap<>(
              ServiceConfigs.forTest(cluster.bootstrapServers(), "length", dir, 2, (short) 1));
      props.put(FinchstreamConfig.MAX_CONVERSATION_TOKENS_CONFIG, 64L);
      final FinchstreamConfig processors = new FinchstreamConfig(props);
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
              new FinchstreamService(processors, TestModels.randomFinch(), registry);
          HttpClient http = HttpClient.newHttpClient()) {
        service.start();
        assertThat(service.awaitRunning(Duration.ofSeconds(90))).isTrue();
        try (GatewayLauncher gateway =
            GatewayLauncher.start(service, "", processors, config, registry)) {
          final String base = gateway.url(config) + "/v1/conversations/long";
          final String thirty = "x".repeat(30); // "User: " + 30 + "\n\n" = 38 byte tokens
          final HttpResponse<String> first =
              post(http, base + "/messages", "{\"text\":\"" + "x".repeat(100) + "\"}");
          assertThat(first.statusCode()).as(first.body()).isEqualTo(400);
          assertThat(first.body())
              .contains("context_length_exceeded")
              .contains("max.conversation.tokens=64");
          assertThat(get(http, base).statusCode()).as("nothing was written").isEqualTo(404);
          assertThat(post(http, base + "/messages", "{\"text\":\"" + thirty + "\"}").statusCode())
              .isEqualTo(202);
          assertThat(get(http, base).body()).contains("\"tokens\":38");
          final HttpResponse<String> second =
              post(http, base + "/messages", "{\"text\":\"" + thirty + "\"}");
          assertThat(second.statusCode()).as(second.body()).isEqualTo(400);
          assertThat(second.body()).contains("holds 38 tokens");
          assertThat(get(http, base).body()).contains("\"tokens\":38").contains("\"refused\":[]");
        }
      }
    }
  }

  private static HttpRequest request(final String url, final String json) {
    return HttpRequest.newBuilder(URI.create(url))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json))
        .build();
  }

  private static HttpResponse<String> post(
      final HttpClient http, final String url, final String json) throws Exception {
    return http.send(request(url, json), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(final HttpClient http, final String url)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
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
