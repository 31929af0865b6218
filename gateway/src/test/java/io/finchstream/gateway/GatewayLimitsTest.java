package io.finchstream.gateway;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.gateway.testing.GatewayHarness;
import io.finchstream.gateway.testing.Http;
import io.finchstream.gateway.testing.RawHttp;
import io.finchstream.gateway.testing.ScriptedProcessors;
import io.finchstream.processors.testing.KafkaTestCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gateway's limits against one caller who tries to get around them, over a real Kafka cluster
 * with {@link ScriptedProcessors} answering: many WebSockets, floods of wrong keys, made-up HTTP
 * methods.
 */
@ExtendWith(VertxExtension.class)
class GatewayLimitsTest {

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

  private static <T> T await(final Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void shouldCountEveryWebSocketOfAKeyInTheKeysOneBucket() throws Exception {
    try (GatewayHarness gw =
        gateway(
            Map.of(
                GatewayConfig.API_KEYS_CONFIG,
                "k",
                GatewayConfig.RATE_LIMIT_CONFIG,
                0.01,
                GatewayConfig.RATE_BURST_CONFIG,
                4))) {
      final WebSocketClient client = vertx.createWebSocketClient();
      final BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
      final List<WebSocket> sockets = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        final WebSocket ws =
            await(
                client.connect(
                    new WebSocketConnectOptions()
                        .setPort(gw.port())
                        .setHost("localhost")
                        .setURI("/v1/conversations/ws-rate-" + i + "/ws?access_token=k")));
        ws.textMessageHandler(t -> frames.add(new JsonObject(t)));
        sockets.add(ws);
      }
      // The upgrades took 3 of the 4 tokens; 3 sockets x 2 frames: 1 accepted, 5 refused.
      for (final WebSocket ws : sockets) {
        ws.writeTextMessage("{\"type\":\"message\",\"text\":\"one\"}");
        ws.writeTextMessage("{\"type\":\"message\",\"text\":\"two\"}");
      }
      int accepted = 0;
      int limited = 0;
      for (int i = 0; i < 6; i++) {
        final JsonObject frame = frames.poll(10, TimeUnit.SECONDS);
        assertThat(frame).as("a frame within 10 s").isNotNull();
        if (frame.getString("type").equals("accepted")) {
          accepted++;
        } else if (frame.getJsonObject("error").getString("code").equals("rate_limited")) {
          limited++;
        }
      }
      assertThat(accepted).isEqualTo(1);
      assertThat(limited).isEqualTo(5);
      final Http.Response http =
          new Http(WebClient.create(vertx), gw.port())
              .get("/v1/models", Map.of("Authorization", "Bearer k"));
      assertThat(http.status()).as("HTTP shares the key's bucket").isEqualTo(429);
      await(client.close());
    }
  }

  @Test
  void shouldLimitFloodsOfWrongKeysFromOneAddress() throws Exception {
    try (GatewayHarness gw =
        gateway(
            Map.of(
                GatewayConfig.API_KEYS_CONFIG,
                "right",
                GatewayConfig.RATE_LIMIT_CONFIG,
                0.01,
                GatewayConfig.RATE_BURST_CONFIG,
                3))) {
      final Http http = new Http(WebClient.create(vertx), gw.port());
      final List<Integer> statuses = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        statuses.add(http.get("/v1/models", Map.of("Authorization", "Bearer wrong-" + i)).status());
      }
      assertThat(statuses).containsExactly(401, 401, 401, 429, 429, 429);
      assertThat(http.get("/v1/models", Map.of("Authorization", "Bearer right")).status())
          .as("the right key has a bucket of its own")
          .isEqualTo(200);
    }
  }

  @Test
  void shouldNotGrowAMeterPerMadeUpHttpMethod() throws Exception {
    try (GatewayHarness gw = gateway(Map.of())) {
      final RawHttp raw = new RawHttp(gw.port());
      for (int i = 0; i < 20; i++) {
        raw.send("M" + i, "/", Map.of(), null);
      }
      final String metrics = new Http(WebClient.create(vertx), gw.port()).get("/metrics").body();
      assertThat(metrics).doesNotContain("method=\"M1\"").contains("method=\"other\"");
    }
  }

  @Test
  void shouldCapTheMessagesOneChatCompletionAppends() throws Exception {
    try (GatewayHarness gw = gateway(Map.of(GatewayConfig.MAX_NEW_MESSAGES_CONFIG, 3))) {
      final Http http = new Http(WebClient.create(vertx), gw.port());
      final Map<String, String> conversation = Map.of("X-Conversation-Id", "many-messages");
      final IntFunction<String> chat =
          n -> {
            final JsonArray messages = new JsonArray();
            for (int i = 0; i < n; i++) {
              messages.add(
                  new JsonObject()
                      .put("role", i % 2 == 0 ? "user" : "assistant")
                      .put("content", i % 2 == 0 ? "q" + i : "Hello there, friend!"));
            }
            return new JsonObject()
                .put("model", GatewayHarness.MODEL.id())
                .put("messages", messages)
                .encode();
          };
      final Http.Response tooMany =
          http.call(HttpMethod.POST, "/v1/chat/completions", chat.apply(5), conversation);
      assertThat(tooMany.status()).as(tooMany.body()).isEqualTo(413);
      assertThat(tooMany.json().getJsonObject("error").getString("param")).isEqualTo("messages");
      assertThat(http.get("/v1/conversations/many-messages").status())
          .as("nothing was written")
          .isEqualTo(404);
      final Http.Response first =
          http.call(HttpMethod.POST, "/v1/chat/completions", chat.apply(3), conversation);
      assertThat(first.status()).as(first.body()).isEqualTo(200);
      // The conversation holds 4 messages (3 + the reply): of the next 5, one is new.
      final Http.Response next =
          http.call(HttpMethod.POST, "/v1/chat/completions", chat.apply(5), conversation);
      assertThat(next.status()).as("only new messages count: " + next.body()).isEqualTo(200);
    }
  }

  @Test
  void shouldCloseWebSocketsThatStayIdleAndKeepBusyOnesOpen() throws Exception {
    try (GatewayHarness gw =
        gateway(
            Map.of(
                GatewayConfig.IDLE_TIMEOUT_CONFIG, 1_000, GatewayConfig.HEARTBEAT_CONFIG, 200))) {
      final WebSocketClient client = vertx.createWebSocketClient();
      final WebSocket idle =
          await(client.connect(gw.port(), "localhost", "/v1/conversations/idle/ws"));
      final WebSocket busy =
          await(client.connect(gw.port(), "localhost", "/v1/conversations/busy/ws"));
      final CompletableFuture<Short> idleClosed = new CompletableFuture<>();
      idle.closeHandler(v -> idleClosed.complete(idle.closeStatusCode()));
      final long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3_000);
      while (System.nanoTime() < until) {
        busy.writeTextMessage("{\"type\":\"message\",\"text\":\"still here\"}");
        Thread.sleep(250);
      }
      assertThat(idleClosed.get(5, TimeUnit.SECONDS))
          .as("the server closed the idle socket (going away)")
          .isEqualTo((short) 1001);
      assertThat(busy.isClosed()).as("a socket that talks stays open").isFalse();
      await(busy.close());
      await(client.close());
    }
  }

  @Test
  void shouldCloseConnectionsBeyondItsBound() throws Exception {
    try (GatewayHarness gw = gateway(Map.of(GatewayConfig.MAX_CONNECTIONS_CONFIG, 2))) {
      final List<Socket> open = new ArrayList<>();
      try {
        for (int i = 0; i < 2; i++) {
          open.add(keepAlive(gw.port()));
        }
        final Socket third = new Socket("localhost", gw.port());
        third.setSoTimeout(10_000);
        third
            .getOutputStream()
            .write("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(US_ASCII));
        int read;
        try {
          read = third.getInputStream().read();
        } catch (final SocketException e) {
          read = -1; // reset
        }
        assertThat(read).as("the connection beyond the bound is closed unanswered").isEqualTo(-1);
        third.close();
        open.remove(0).close();
        Thread.sleep(200);
        open.add(keepAlive(gw.port()));
      } finally {
        for (final Socket s : open) {
          s.close();
        }
      }
    }
  }

  /** A connection that made one request and stays open. */
  private static Socket keepAlive(final int port) throws Exception {
    final Socket socket = new Socket("localhost", port);
    socket.setSoTimeout(10_000);
    socket
        .getOutputStream()
        .write("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(US_ASCII));
    final byte[] head = new byte[12];
    assertThat(socket.getInputStream().readNBytes(head, 0, 12)).isEqualTo(12);
    assertThat(new String(head, US_ASCII)).isEqualTo("HTTP/1.1 200");
    return socket;
  }
}
