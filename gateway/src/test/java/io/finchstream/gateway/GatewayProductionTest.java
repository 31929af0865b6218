package io.finchstream.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.gateway.testing.Eventually;
import io.finchstream.gateway.testing.GatewayHarness;
import io.finchstream.gateway.testing.Http;
import io.finchstream.gateway.testing.ScriptedProcessors;
import io.finchstream.processors.testing.KafkaTestCluster;
import io.finchstream.proto.Topics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.net.URI;
import java.net.http.HttpClient.Version;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Production concerns of the gateway over a real Kafka cluster, with {@link ScriptedProcessors}
 * answering: cancellation on disconnect, a slow client that must not hold up others, the WebSocket
 * chat, API keys, rate limits and CORS.
 */
@ExtendWith(VertxExtension.class)
class GatewayProductionTest {

  private static KafkaTestCluster cluster;
  private static ScriptedProcessors processors;
  private static Vertx vertx;

  @BeforeAll
  static void start(final Vertx v) throws Exception {
    vertx = v;
    cluster = KafkaTestCluster.start(1);
    // Large replies (the slow-client test's done message holds its whole 3 MB text).
    try (Admin admin = cluster.admin()) {
      final Map<String, String> big = Map.of("max.message.bytes", Integer.toString(32 << 20));
      admin
          .createTopics(
              List.of(
                  new NewTopic(Topics.EVENTS, 3, (short) 1),
                  new NewTopic(Topics.REPLIES, 3, (short) 1).configs(big)))
          .all()
          .get();
    }
    processors = new ScriptedProcessors(cluster);
  }

  @AfterAll
  static void stop() throws Exception {
    if (processors != null) {
      processors.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private static GatewayHarness gateway(final Map<String, Object> overrides) throws Exception {
    return GatewayHarness.start(
        vertx,
        GatewayHarness.config(cluster, overrides),
        processors,
        ReadinessProbe.none(),
        new EventLimits(256 * 1024, 1024, 1 << 24, 256, 16, 16));
  }

  private static <T> T await(final Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void shouldCancelTheGenerationWhenTheClientDisconnects() throws Exception {
    processors.script("x".repeat(2_000), 1, 5);
    try (GatewayHarness gw = gateway(Map.of())) {
      final HttpClient client = vertx.createHttpClient();
      final HttpClientRequest request =
          await(
              client.request(
                  HttpMethod.POST, gw.port(), "localhost", "/v1/conversations/gone-1/generate"));
      request.putHeader("Content-Type", "application/json");
      final HttpClientResponse response = await(request.send("{\"max_tokens\":2000}"));
      assertThat(response.statusCode()).isEqualTo(200);
      final String generation = response.getHeader("X-Finchstream-Generation");
      final CompletableFuture<Void> firstFrame = new CompletableFuture<>();
      response.handler(b -> firstFrame.complete(null));
      firstFrame.get(30, TimeUnit.SECONDS);
      assertThat(gw.gateway().activeGenerations()).isEqualTo(1);

      await(request.connection().close());

      Eventually.until(
          () -> processors.wasCancelled(generation),
          10_000,
          "a CancelGeneration for " + generation);
      Eventually.until(
          () -> gw.gateway().activeGenerations() == 0, 10_000, "the gateway to stop waiting");
      await(client.close());
    }
  }

  @Test
  void shouldNotLetASlowClientHoldUpOthers() throws Exception {
    final int chunk = 16 * 1024;
    final int chunks = 200;
    processors.script("s".repeat(chunk * chunks), chunk, 0);
    try (GatewayHarness gw =
        gateway(
            Map.of(
                GatewayConfig.STREAM_BUFFER_CONFIG,
                1024 * 1024,
                GatewayConfig.REPLY_TIMEOUT_CONFIG,
                15_000))) {
      // The slow client reads nothing: the socket buffers fill (a few MB), then the gateway's 1
      // MiB.
      final HttpClient slowClient =
          vertx.createHttpClient(new HttpClientOptions().setReceiveBufferSize(4096));
      final HttpClientRequest slowRequest =
          await(
              slowClient.request(
                  HttpMethod.POST, gw.port(), "localhost", "/v1/conversations/slow/generate"));
      slowRequest.putHeader("Content-Type", "application/json");
      final HttpClientResponse slow =
          await(slowRequest.send("{\"max_tokens\":" + chunk * chunks + "}"));
      slow.pause();
      assertThat(slow.statusCode()).isEqualTo(200);
      final String slowGeneration = slow.getHeader("X-Finchstream-Generation");

      // Meanwhile a normal client streams a whole generation of the same size.
      final java.net.http.HttpClient fast =
          java.net.http.HttpClient.newBuilder().version(Version.HTTP_1_1).build();
      final HttpResponse<String> fastResponse =
          fast.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://localhost:" + gw.port() + "/v1/conversations/fast/generate"))
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"max_tokens\":" + chunk * chunks + "}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      final List<Http.Sse> events =
          new Http.Response(fastResponse.statusCode(), null, fastResponse.body()).events();
      assertThat(events.get(events.size() - 1).event())
          .as(
              events.size()
                  + " events, "
                  + events.stream()
                      .filter(e -> e.event().equals("token"))
                      .mapToInt(e -> e.json().getString("text").length())
                      .sum()
                  + " chars; last: "
                  + events.get(events.size() - 1).data())
          .isEqualTo("done");
      assertThat(events.get(events.size() - 1).json().getString("text")).hasSize(chunk * chunks);

      Eventually.until(
          () -> processors.wasCancelled(slowGeneration),
          30_000,
          "the slow client's generation to be cancelled");
      Eventually.until(
          () -> gw.gateway().activeGenerations() == 0, 10_000, "the gateway to stop waiting");
      await(slowClient.close());
    }
  }

  @Test
  void shouldChatOverAWebSocket() throws Exception {
    processors.script(" Hi from the socket.", 3, 0);
    try (GatewayHarness gw = gateway(Map.of())) {
      final WebSocketClient client = vertx.createWebSocketClient();
      final WebSocket ws =
          await(client.connect(gw.port(), "localhost", "/v1/conversations/ws-1/ws"));
      final BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
      ws.textMessageHandler(t -> frames.add(new JsonObject(t)));

      ws.writeTextMessage("{\"type\":\"chat\",\"text\":\"Hello?\",\"max_tokens\":100}");
      assertThat(replyText(frames)).isEqualTo(" Hi from the socket.");

      ws.writeTextMessage("{\"type\":\"chat\", text");
      final JsonObject error = frames.poll(10, TimeUnit.SECONDS);
      assertThat(error.getString("type")).isEqualTo("error");
      assertThat(error.getJsonObject("error").getString("code")).isEqualTo("malformed_json");

      ws.writeTextMessage("{\"type\":\"message\",\"text\":\"just saying\",\"role\":\"user\"}");
      final JsonObject accepted = frames.poll(10, TimeUnit.SECONDS);
      assertThat(accepted.getString("type")).isEqualTo("accepted");
      assertThat(accepted.getLong("offset")).isNotNegative();

      ws.writeTextMessage("{\"type\":\"chat\",\"text\":\"Again\"}");
      assertThat(replyText(frames)).isEqualTo(" Hi from the socket.");
      await(ws.close());
      await(client.close());
    }
  }

  private static String replyText(final BlockingQueue<JsonObject> frames)
      throws InterruptedException {
    final StringBuilder text = new StringBuilder();
    for (; ; ) {
      final JsonObject frame = frames.poll(10, TimeUnit.SECONDS);
      assertThat(frame).as("a frame within 10 s").isNotNull();
      switch (frame.getString("type")) {
        case "token" -> text.append(frame.getString("text"));
        case "done" -> {
          assertThat(frame.getString("text")).isEqualTo(text.toString());
          return text.toString();
        }
        default -> throw new AssertionError("unexpected frame " + frame);
      }
    }
  }

  @Test
  void shouldRequireAValidApiKeyWhenKeysAreConfigured() throws Exception {
    try (GatewayHarness gw =
        gateway(Map.of(GatewayConfig.API_KEYS_CONFIG, "first-key, second-key"))) {
      final Http http = new Http(WebClient.create(vertx), gw.port());
      final Http.Response missing = http.get("/v1/models");
      assertThat(missing.status()).isEqualTo(401);
      assertThat(missing.errorCode()).isEqualTo("invalid_api_key");
      assertThat(missing.headers().get("WWW-Authenticate")).isEqualTo("Bearer");
      final Http.Response wrong =
          http.get("/v1/models", Map.of("Authorization", "Bearer third-key"));
      assertThat(wrong.status()).isEqualTo(401);
      assertThat(wrong.json().getJsonObject("error").getString("message"))
          .contains("wrong API key");
      assertThat(http.get("/v1/models", Map.of("Authorization", "Bearer second-key")).status())
          .isEqualTo(200);
      assertThat(http.get("/v1/models", Map.of("Authorization", "bearer first-key")).status())
          .isEqualTo(200);
      final Http.Response noWrite =
          http.call(
              HttpMethod.POST, "/v1/conversations/locked/messages", "{\"text\":\"x\"}", Map.of());
      assertThat(noWrite.status()).isEqualTo(401);
      assertThat(http.get("/health/live").status()).as("health needs no key").isEqualTo(200);
      assertThat(http.get("/").status()).as("the chat page needs no key").isEqualTo(200);
    }
  }

  @Test
  void shouldLimitTheRatePerKey() throws Exception {
    try (GatewayHarness gw =
        gateway(
            Map.of(
                GatewayConfig.API_KEYS_CONFIG,
                "a,b",
                GatewayConfig.RATE_LIMIT_CONFIG,
                0.2,
                GatewayConfig.RATE_BURST_CONFIG,
                2))) {
      final Http http = new Http(WebClient.create(vertx), gw.port());
      final Map<String, String> a = Map.of("Authorization", "Bearer a");
      assertThat(http.get("/v1/models", a).status()).isEqualTo(200);
      assertThat(http.get("/v1/models", a).status()).isEqualTo(200);
      final Http.Response limited = http.get("/v1/models", a);
      assertThat(limited.status()).isEqualTo(429);
      assertThat(limited.errorCode()).isEqualTo("rate_limited");
      assertThat(Integer.parseInt(limited.headers().get("Retry-After"))).isBetween(1, 5);
      assertThat(http.get("/v1/models", Map.of("Authorization", "Bearer b")).status())
          .as("another key has its own bucket")
          .isEqualTo(200);
    }
  }

  @Test
  void shouldAnswerCorsOnlyForConfiguredOrigins() throws Exception {
    try (GatewayHarness off = gateway(Map.of());
        GatewayHarness on =
            gateway(Map.of(GatewayConfig.CORS_ORIGINS_CONFIG, "https://chat.example"))) {
      final Map<String, String> preflight =
          Map.of(
              "Origin",
              "https://chat.example",
              "Access-Control-Request-Method",
              "POST",
              "Access-Control-Request-Headers",
              "authorization,content-type");
      final Http.Response allowed =
          new Http(WebClient.create(vertx), on.port())
              .call(HttpMethod.OPTIONS, "/v1/chat/completions", null, preflight);
      assertThat(allowed.headers().get("Access-Control-Allow-Origin"))
          .isEqualTo("https://chat.example");
      final Http.Response other =
          new Http(WebClient.create(vertx), on.port())
              .call(
                  HttpMethod.OPTIONS,
                  "/v1/chat/completions",
                  null,
                  Map.of(
                      "Origin", "https://evil.example", "Access-Control-Request-Method", "POST"));
      assertThat(other.status()).isEqualTo(403);
      assertThat(other.headers().get("Access-Control-Allow-Origin")).isNull();
      final Http.Response none =
          new Http(WebClient.create(vertx), off.port())
              .get("/v1/models", Map.of("Origin", "https://chat.example"));
      assertThat(none.status()).as("no origin is allowed by default").isEqualTo(403);
      assertThat(none.errorCode()).isEqualTo("origin_not_allowed");
      assertThat(none.headers().get("Access-Control-Allow-Origin")).isNull();
    }
  }
}
