package io.finchstream.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.gateway.testing.Eventually;
import io.finchstream.gateway.testing.GatewayHarness;
import io.finchstream.gateway.testing.Http;
import io.finchstream.gateway.testing.RawHttp;
import io.finchstream.gateway.testing.ScriptedProcessors;
import io.finchstream.processors.testing.KafkaTestCluster;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.Error;
import io.finchstream.proto.v1.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gateway's edge over a real Kafka cluster, with {@link ScriptedProcessors} answering: bodies
 * that are not JSON, text that cannot be encoded, numbers that change on their way to float, the
 * {@code Host} and {@code Origin} checks that keep other web sites out of a keyless gateway.
 */
@ExtendWith(VertxExtension.class)
class GatewayEdgeTest {

  private static KafkaTestCluster cluster;
  private static ScriptedProcessors processors;
  private static Vertx vertx;

  @BeforeAll
  static void start(final Vertx v) throws Exception {
    vertx = v;
    cluster = KafkaTestCluster.start(1);
    GatewayHarness.createTopics(cluster);
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
        EventLimits.defaults());
  }

  /** Writes a valid event to {@code conversation} and waits for it: the events seen before it. */
  private static int sentinel(final Http http, final String conversation) {
    final String eventId =
        http.post("/v1/conversations/" + conversation + "/messages", "{\"text\":\"sentinel\"}")
            .json()
            .getString("event_id");
    Eventually.until(
        () -> processors.events().stream().anyMatch(e -> e.getEventId().equals(eventId)),
        10_000,
        "sentinel " + conversation);
    final List<ConversationEvent> events = processors.events();
    for (int i = 0; i < events.size(); i++) {
      if (events.get(i).getEventId().equals(eventId)) {
        return i;
      }
    }
    throw new AssertionError("unreachable");
  }

  @Test
  void shouldRefuseBodiesThatAreNotJsonWith415AndWriteNothing() throws Exception {
    try (GatewayHarness gw = gateway(Map.of())) {
      final Http http = new Http(WebClient.create(vertx), gw.port());
      final RawHttp raw = new RawHttp(gw.port());
      final int before = sentinel(http, "media-before");
      final String[][] cases = {
        {"/v1/conversations/media/messages", "text/plain", "{\"text\":\"injected\"}"},
        {"/v1/conversations/media/messages", "text/plain;charset=UTF-8", "{\"text\":\"x\"}"},
        {"/v1/conversations/media/generate", "application/x-www-form-urlencoded", "{}"},
        {"/v1/conversations/media/fork", "multipart/form-data; boundary=x", "{\"new_id\":\"m2\"}"},
        {
          "/v1/conversations/media/messages", "application/json; charset=latin1", "{\"text\":\"x\"}"
        },
        {"/v1/chat/completions", "text/plain", "{\"model\":\"m\",\"messages\":[]}"},
      };
      for (final String[] c : cases) {
        final RawHttp.Answer a = raw.send("POST", c[0], Map.of("Content-Type", c[1]), c[2]);
        assertThat(a.status()).as(c[0] + " as " + c[1] + ": " + a.body()).isEqualTo(415);
        final JsonObject error = new JsonObject(a.body()).getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo("unsupported_media_type");
        assertThat(error.getString("message")).contains("application/json");
      }
      final RawHttp.Answer bare =
          raw.send("POST", "/v1/conversations/media/generate", Map.of(), null);
      assertThat(bare.status()).as("a POST without a content type: " + bare.body()).isEqualTo(415);
      assertThat(
              raw.send(
                      "POST",
                      "/v1/conversations/media-ok/messages",
                      Map.of("Content-Type", "Application/JSON; charset=utf-8"),
                      "{\"text\":\"fine\"}")
                  .status())
          .isEqualTo(202);
      final int after = sentinel(http, "media-after");
      assertThat(after - before).as("only the accepted message was written").isEqualTo(2);
    }
  }

  @Test
  void shouldRefuseTextThatIsNotWellFormedUnicodeNamingTheField() throws Exception {
    try (GatewayHarness gw = gateway(Map.of())) {
      final Http http = new Http(WebClient.create(vertx), gw.port());
      final String[][] cases = {
        {"/v1/conversations/sur/messages", "{\"text\":\"a\\ud800b\"}", "text"},
        {"/v1/conversations/sur/generate", "{\"stop\":[\"\\udc00\"]}", "stop"},
        {"/v1/conversations/sur/generate", "{\"prefix\":\"x\\udbff\"}", "prefix"},
        {
          "/v1/chat/completions",
          "{\"model\":\""
              + GatewayHarness.MODEL.id()
              + "\",\"messages\":[{\"role\":\"user\",\"content\":\"\\ud83d\"}]}",
          "messages[0].content"
        },
      };
      for (final String[] c : cases) {
        final Http.Response r = http.post(c[0], c[1]);
        assertThat(r.status()).as(c[0] + " " + c[1] + ": " + r.body()).isEqualTo(400);
        assertThat(r.json().getJsonObject("error").getString("param")).isEqualTo(c[2]);
        assertThat(r.json().getJsonObject("error").getString("message")).contains("surrogate");
      }
      assertThat(
              http.post("/v1/conversations/sur/messages", "{\"text\":\"\\ud83d\\ude00\"}").status())
          .as("a well-formed pair (an emoji) is fine")
          .isEqualTo(202);
    }
  }

  @Test
  void shouldRefuseNumbersThatChangeOnTheirWayToFloat() throws Exception {
    try (GatewayHarness gw = gateway(Map.of())) {
      final Http http = new Http(WebClient.create(vertx), gw.port());
      http.post("/v1/conversations/float/messages", "{\"text\":\"x\"}");
      final Http.Response r =
          http.post("/v1/conversations/float/generate", "{\"top_p\":1e-50,\"stream\":false}");
      assertThat(r.status()).as(r.body()).isEqualTo(400);
      assertThat(r.json().getJsonObject("error").getString("param")).isEqualTo("top_p");
      assertThat(r.json().getJsonObject("error").getString("message")).contains("float");
    }
  }

  @Test
  void shouldAnswerOnlyToKnownHostNamesWhenKeysAreOff() throws Exception {
    try (GatewayHarness gw = gateway(Map.of())) {
      final RawHttp raw = new RawHttp(gw.port());
      for (final String host :
          List.of(
              "localhost:" + gw.port(),
              "127.0.0.1:" + gw.port(),
              "[::1]:" + gw.port(),
              "10.1.2.3")) {
        assertThat(raw.send("GET", "/v1/models", Map.of("Host", host), null).status())
            .as("Host: " + host)
            .isEqualTo(200);
      }
      for (final String path : List.of("/v1/models", "/", "/v1/conversations/c/ws", "/metrics")) {
        final RawHttp.Answer rebound =
            raw.send("GET", path, Map.of("Host", "evil.example:" + gw.port()), null);
        assertThat(rebound.status()).as(path + ": " + rebound.body()).isEqualTo(403);
        assertThat(new JsonObject(rebound.body()).getJsonObject("error").getString("code"))
            .isEqualTo("host_not_allowed");
      }
      assertThat(
              raw.send("GET", "/health/live", Map.of("Host", "probe.internal:" + gw.port()), null)
                  .status())
          .as("probes answer to any host")
          .isEqualTo(200);
    }
    try (GatewayHarness named =
            gateway(Map.of(GatewayConfig.ALLOWED_HOSTS_CONFIG, "chat.internal"));
        GatewayHarness keyed = gateway(Map.of(GatewayConfig.API_KEYS_CONFIG, "k"))) {
      assertThat(
              new RawHttp(named.port())
                  .send("GET", "/v1/models", Map.of("Host", "Chat.Internal:443"), null)
                  .status())
          .as("a configured name")
          .isEqualTo(200);
      assertThat(
              new RawHttp(keyed.port())
                  .send(
                      "GET",
                      "/v1/models",
                      Map.of("Host", "api.example.com", "Authorization", "Bearer k"),
                      null)
                  .status())
          .as("any name while keys are required")
          .isEqualTo(200);
    }
  }

  @Test
  void shouldLetOnlyItsOwnPagesAndConfiguredOriginsUseTheApiFromABrowser() throws Exception {
    try (GatewayHarness gw =
        gateway(Map.of(GatewayConfig.CORS_ORIGINS_CONFIG, "https://chat.example"))) {
      final RawHttp raw = new RawHttp(gw.port());
      final String self = "http://localhost:" + gw.port();
      final String ws = "/v1/conversations/origin-ws/ws";
      assertThat(raw.upgrade(ws, Map.of("Origin", "http://evil.example")).status())
          .as("a WebSocket from another site")
          .isEqualTo(403);
      assertThat(raw.upgrade(ws, Map.of("Origin", self)).status())
          .as("a WebSocket from the gateway's own chat page")
          .isEqualTo(101);
      assertThat(raw.upgrade(ws, Map.of("Origin", "https://chat.example")).status())
          .as("a WebSocket from a configured origin")
          .isEqualTo(101);
      assertThat(raw.upgrade(ws, Map.of()).status()).as("a WebSocket from no page").isEqualTo(101);
      assertThat(
              raw.upgrade(
                      ws,
                      Map.of(
                          "Host",
                          "evil.example:" + gw.port(),
                          "Origin",
                          "http://evil.example:" + gw.port()))
                  .status())
          .as("DNS rebinding: the page's own origin, under its own name")
          .isEqualTo(403);

      final String chat =
          "{\"model\":\""
              + GatewayHarness.MODEL.id()
              + "\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
      final Map<String, String> json = Map.of("Content-Type", "application/json");
      final RawHttp.Answer foreign =
          raw.send(
              "POST",
              "/v1/chat/completions",
              merge(json, Map.of("Origin", "http://evil.example")),
              chat);
      assertThat(foreign.status()).as(foreign.body()).isEqualTo(403);
      assertThat(new JsonObject(foreign.body()).getJsonObject("error").getString("code"))
          .isEqualTo("origin_not_allowed");
      final RawHttp.Answer own =
          raw.send("POST", "/v1/chat/completions", merge(json, Map.of("Origin", self)), chat);
      assertThat(own.status()).as("the chat page's request: " + own.body()).isEqualTo(200);
      final RawHttp.Answer listed =
          raw.send("GET", "/v1/models", Map.of("Origin", "https://chat.example"), null);
      assertThat(listed.status()).isEqualTo(200);
      assertThat(listed.headers().get("access-control-allow-origin"))
          .isEqualTo("https://chat.example");
    }
    try (GatewayHarness proxied = gateway(Map.of(GatewayConfig.API_KEYS_CONFIG, "k"))) {
      assertThat(
              new RawHttp(proxied.port())
                  .send(
                      "GET",
                      "/v1/models",
                      Map.of(
                          "Host",
                          "chat.example.com",
                          "Origin",
                          "https://chat.example.com",
                          "Authorization",
                          "Bearer k"),
                      null)
                  .status())
          .as("a page served behind a TLS proxy under the same name")
          .isEqualTo(200);
    }
  }

  private static Map<String, String> merge(
      final Map<String, String> a, final Map<String, String> b) {
    final Map<String, String> m = new LinkedHashMap<>(a);
    m.putAll(b);
    return m;
  }

  @Test
  void shouldSendTheStreamsHeadOnceTheGenerationIsAcceptedAndLaterErrorsInBand() throws Exception {
    try (GatewayHarness gw = gateway(Map.of())) {
      final HttpClient client = vertx.createHttpClient();
      processors.hold();
      try {
        final HttpClientRequest request =
            await(
                client.request(
                    HttpMethod.POST, gw.port(), "localhost", "/v1/conversations/head/generate"));
        request.putHeader("Content-Type", "application/json");
        final HttpClientResponse response = await(request.send("{\"max_tokens\":5}"));
        assertThat(response.statusCode())
            .as("the head came while the processors had not answered yet")
            .isEqualTo(200);
        assertThat(response.getHeader("Content-Type")).startsWith("text/event-stream");
        assertThat(response.getHeader("X-Finchstream-Generation")).startsWith("gen-");
        processors.release();
        assertThat(await(response.body()).toString()).contains("event: done");
      } finally {
        processors.release();
      }
      processors.failWith(
          Error.newBuilder()
              .setCode(ErrorCode.INTERNAL)
              .setMessage("processing failed: java.lang.IllegalStateException: store /var/x")
              .build());
      try {
        final Http http = new Http(WebClient.create(vertx), gw.port());
        final Http.Response streamed =
            http.post("/v1/conversations/head-err/generate", "{\"max_tokens\":5}");
        assertThat(streamed.status()).isEqualTo(200);
        final Http.Sse error = streamed.events().get(streamed.events().size() - 1);
        assertThat(error.event()).isEqualTo("error");
        assertThat(error.json().getInteger("status")).isEqualTo(502);
        assertThat(error.json().getJsonObject("error").getString("code")).isEqualTo("internal");
        final Http.Response whole =
            http.post("/v1/conversations/head-err/generate", "{\"max_tokens\":5,\"stream\":false}");
        assertThat(whole.status()).isEqualTo(502);
        for (final String body : List.of(streamed.body(), whole.body())) {
          assertThat(body)
              .as("the processors' internals stay in their log")
              .doesNotContain("IllegalStateException")
              .doesNotContain("/var/x");
        }
      } finally {
        processors.failWith(null);
      }
      await(client.close());
    }
  }

  private static <T> T await(final Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void shouldWriteAWebSocketsFramesInTheirOrderWhateverTheirSize() throws Exception {
    try (GatewayHarness gw = gateway(Map.of())) {
      final WebSocketClient client = vertx.createWebSocketClient();
      final WebSocket ws =
          await(client.connect(gw.port(), "localhost", "/v1/conversations/order/ws"));
      final String large = "L".repeat(64 * 1024); // checked off the event loop
      ws.writeTextMessage(
          new JsonObject().put("type", "chat").put("text", large).put("max_tokens", 3).encode());
      ws.writeTextMessage(new JsonObject().put("type", "message").put("text", "small").encode());
      Eventually.until(
          () -> eventsOf("order").size() == 3, 10_000, "the three events of the two frames");
      final List<String> order =
          eventsOf("order").stream()
              .map(
                  e ->
                      e.hasGenerate()
                          ? "generate"
                          : e.getAppendText().getText().length() + " chars")
              .toList();
      assertThat(order).containsExactly(large.length() + " chars", "generate", "5 chars");
      await(ws.close());
      await(client.close());
    }
  }

  private static List<ConversationEvent> eventsOf(final String key) {
    return processors.events().stream()
        .filter(e -> processors.conversationOf(e.getEventId()).equals(key))
        .filter(e -> !e.hasCancel())
        .toList();
  }
}
