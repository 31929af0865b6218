package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Accepted means kept, at the gateway: wired as {@code up} and {@code serve} wire it, in front of
 * the real processors (byte vocabulary: one token per UTF-8 byte of the rendered chat text) on a
 * real broker, the gateway refuses with a 4xx every event the processors would refuse, and what it
 * accepts is applied. The limits are the processors' defaults (262,144 bytes of text, 262,144
 * tokens per append) except {@code max.stop.sequences}, raised above what sampling supports.
 */
class GatewayAdmissionTest {

  private static final int LIMIT = 262_144;

  @TempDir static Path dir;

  private static KafkaTestCluster cluster;
  private static FinchstreamService service;
  private static GatewayLauncher gateway;
  private static String base;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() throws Exception {
    cluster = KafkaTestCluster.start(1);
    final Map<String, Object> props =
        new HashMap<>(
            ServiceConfigs.forTest(cluster.bootstrapServers(), "admission", dir, 2, (short) 1));
    props.put(FinchstreamConfig.MAX_STOP_SEQUENCES_CONFIG, 32);
    final FinchstreamConfig processors = new FinchstreamConfig(props);
    final PrometheusMeterRegistry registry = GatewayLauncher.newRegistry();
    service = new FinchstreamService(processors, TestModels.randomFinch(), registry);
    service.start();
    assertThat(service.awaitRunning(Duration.ofSeconds(90))).isTrue();
    final GatewayConfig config =
        GatewayLauncher.config(
            null,
            Map.of(
                GatewayConfig.BOOTSTRAP_SERVERS_CONFIG,
                cluster.bootstrapServers(),
                GatewayConfig.PORT_CONFIG,
                0,
                GatewayConfig.INSTANCES_CONFIG,
                1,
                GatewayConfig.REQUEST_TIMEOUT_CONFIG,
                120_000));
    gateway = GatewayLauncher.start(service, "", processors, config, registry);
    base = gateway.url(config);
  }

  @AfterAll
  static void stop() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
    if (service != null) {
      service.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private static HttpResponse<String> post(final String path, final String body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/json")
            .timeout(Duration.ofMinutes(3))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(final String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(3)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode error(final HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body()).get("error");
  }

  @Test
  void shouldRefuseAMessageWhoseRenderedTokensExceedTheLimitAndNeverWriteIt() throws Exception {
    final String text = "a".repeat(LIMIT); // 262,144 bytes: "User: " + text + "\n\n" is 8 more
    final HttpResponse<String> r =
        post(
            "/v1/conversations/too-big/messages",
            JSON.createObjectNode().put("text", text).toString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
    assertThat(error(r).get("code").asText()).isEqualTo("payload_too_large");
    assertThat(error(r).get("message").asText())
        .contains("262152 tokens")
        .contains("max.append.tokens");
    assertThat(get("/v1/conversations/too-big").statusCode()).isEqualTo(404);
  }

  @Test
  void shouldRefuseTheSameTextThroughTheOpenAiPath() throws Exception {
    final ObjectNode body =
        JSON.createObjectNode()
            .put("model", ServedModels.apiName(TestModels.randomFinch()))
            .put("max_tokens", 5);
    body.putArray("messages").addObject().put("role", "user").put("content", "a".repeat(LIMIT));
    final HttpResponse<String> r = post("/v1/chat/completions", body.toString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
    assertThat(error(r).get("param").asText()).isEqualTo("messages[0].content");
    assertThat(error(r).get("message").asText()).contains("max.append.tokens");
  }

  @Test
  void shouldAcceptAndApplyAMessageJustUnderTheLimit() throws Exception {
    final String text = "b".repeat(LIMIT - 8); // rendered: exactly 262,144 tokens
    final HttpResponse<String> r =
        post(
            "/v1/conversations/just-fits/messages",
            JSON.createObjectNode().put("text", text).toString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    final HttpResponse<String> meta = get("/v1/conversations/just-fits");
    assertThat(meta.statusCode()).as(meta.body()).isEqualTo(200);
    assertThat(JSON.readTree(meta.body()).get("tokens").asLong()).isEqualTo(LIMIT);
    assertThat(JSON.readTree(meta.body()).get("messages").asLong()).isEqualTo(1);
  }

  @Test
  void shouldRefuseMoreStopStringsThanSamplingSupportsBeforeWritingAnything() throws Exception {
    post("/v1/conversations/stops/messages", "{\"text\":\"hello\"}");
    final ObjectNode request = JSON.createObjectNode().put("stream", false);
    Collections.nCopies(17, "x").forEach(request.putArray("stop")::add);
    final HttpResponse<String> r = post("/v1/conversations/stops/generate", request.toString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(error(r).get("param").asText()).isEqualTo("stop");
    assertThat(error(r).get("message").asText()).contains("16");
  }
}
