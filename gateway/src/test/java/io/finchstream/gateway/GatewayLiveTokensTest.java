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
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Live tokens through the gateway, with {@link ScriptedProcessors} publishing every draw to the
 * live-token topic while holding the committed replies back: each token reaches the client as its
 * own event before its commit, on every API path; the reply still ends only with the committed
 * done; a cancel tells the processors how many draws the client was shown; with {@code
 * gateway.live.tokens=false} nothing arrives before the commit.
 */
@ExtendWith(VertxExtension.class)
class GatewayLiveTokensTest {

  private static final String SCRIPT = " Live, one token at a time: é!";

  private static KafkaTestCluster cluster;
  private static ScriptedProcessors processors;
  private static Vertx vertx;

  @BeforeAll
  static void start(final Vertx v) throws Exception {
    vertx = v;
    cluster = KafkaTestCluster.start(1);
    cluster.createTopics(3, Topics.EVENTS, Topics.REPLIES, Topics.TOKENS);
    processors = new ScriptedProcessors(cluster);
    processors.live(true);
  }

  @AfterEach
  void release() {
    processors.releaseCommits();
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

  /** The SSE frames of a streaming response as they arrive, on a thread of their own. */
  private static BlockingQueue<Http.Sse> stream(
      final int port, final String path, final String body) throws Exception {
    final HttpResponse<InputStream> response =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .build()
            .send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    final BlockingQueue<Http.Sse> frames = new LinkedBlockingQueue<>();
    final Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String event = "message";
                String line;
                while ((line = in.readLine()) != null) {
                  if (line.startsWith("event: ")) {
                    event = line.substring(7);
                  } else if (line.startsWith("data: ")) {
                    frames.add(new Http.Sse(event, line.substring(6)));
                    event = "message";
                  }
                }
              } catch (final Exception e) {
                // the stream ended
              }
            },
            "sse-reader");
    reader.setDaemon(true);
    reader.start();
    return frames;
  }

  private static Http.Sse next(final BlockingQueue<Http.Sse> frames) throws InterruptedException {
    final Http.Sse frame = frames.poll(30, TimeUnit.SECONDS);
    assertThat(frame).as("an SSE frame within 30 s").isNotNull();
    return frame;
  }

  @Test
  void shouldStreamEveryTokenAsItsOwnEventBeforeItsCommitAndEndWithTheCommittedDone()
      throws Exception {
    processors.script(SCRIPT, 8, 0);
    processors.holdCommits();
    try (GatewayHarness gw = gateway(Map.of())) {
      final BlockingQueue<Http.Sse> frames =
          stream(gw.port(), "/v1/conversations/live-1/generate", "{\"max_tokens\":200}");
      final byte[] bytes = SCRIPT.getBytes(StandardCharsets.UTF_8);
      final StringBuilder text = new StringBuilder();
      final List<Integer> tokens = new ArrayList<>();
      // Every draw arrives while the commits are held: one event per token.
      for (int i = 0; i < bytes.length; i++) {
        final Http.Sse frame = next(frames);
        assertThat(frame.event()).as("frame %d before any commit", i).isEqualTo("token");
        final JsonObject token = frame.json();
        assertThat(token.getInteger("index")).isEqualTo(i);
        assertThat(token.getJsonArray("token_ids")).hasSize(1);
        tokens.add(token.getJsonArray("token_ids").getInteger(0));
        text.append(token.getString("text"));
      }
      assertThat(text.toString()).isEqualTo(SCRIPT);
      assertThat(frames.poll(300, TimeUnit.MILLISECONDS)).as("no done before the commit").isNull();
      processors.releaseCommits();
      final Http.Sse done = next(frames);
      assertThat(done.event()).isEqualTo("done");
      assertThat(done.json().getString("text")).isEqualTo(SCRIPT);
      assertThat(frames.poll(300, TimeUnit.MILLISECONDS)).as("nothing after the done").isNull();
      final List<Integer> expected = new ArrayList<>();
      for (final byte b : bytes) {
        expected.add(b & 0xff);
      }
      assertThat(tokens).isEqualTo(expected);
      final String metrics = gw.registry().scrape();
      assertThat(metrics)
          .contains("finchstream_gateway_generation_live_tokens_total " + bytes.length + ".0");
      assertThat(metrics)
          .contains("finchstream_gateway_generation_first_token_seconds_count{api=\"native\"} 1");
      assertThat(metrics)
          .contains(
              "finchstream_gateway_generation_commit_delay_seconds_count{api=\"native\"} "
                  + bytes.length);
      assertThat(metrics).contains("finchstream_gateway_generation_live_mismatches_total 0.0");
    }
  }

  @Test
  void shouldSendOneChunkPerTokenOnTheOpenAiPath() throws Exception {
    processors.script(" abc", 8, 0);
    processors.holdCommits();
    try (GatewayHarness gw = gateway(Map.of())) {
      final BlockingQueue<Http.Sse> frames =
          stream(
              gw.port(),
              "/v1/chat/completions",
              "{\"model\":\"scripted-byte-model\",\"stream\":true,"
                  + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
      assertThat(
              next(frames)
                  .json()
                  .getJsonArray("choices")
                  .getJsonObject(0)
                  .getJsonObject("delta")
                  .getString("role"))
          .isEqualTo("assistant");
      for (final String expected : List.of("a", "b", "c")) {
        assertThat(
                next(frames)
                    .json()
                    .getJsonArray("choices")
                    .getJsonObject(0)
                    .getJsonObject("delta")
                    .getString("content"))
            .isEqualTo(expected);
      }
      processors.releaseCommits();
      assertThat(
              next(frames)
                  .json()
                  .getJsonArray("choices")
                  .getJsonObject(0)
                  .getString("finish_reason"))
          .isEqualTo("stop");
      assertThat(next(frames).data()).isEqualTo("[DONE]");
      final String metrics = gw.registry().scrape();
      assertThat(metrics)
          .contains("finchstream_gateway_generation_first_token_seconds_count{api=\"openai\"} 1")
          .contains("finchstream_gateway_generation_inter_token_seconds_count{api=\"openai\"} 3")
          .contains("finchstream_gateway_generation_token_delay_seconds_count{api=\"openai\"} 4")
          .contains("finchstream_gateway_generation_commit_delay_seconds_count{api=\"openai\"} 4")
          .contains("finchstream_gateway_generation_first_token_seconds_count{api=\"native\"} 0");
    }
  }

  @Test
  void shouldTellTheProcessorsHowManyTokensTheClientSawWhenItCancels() throws Exception {
    processors.script("abcdefgh", 8, 0);
    processors.holdCommits();
    try (GatewayHarness gw = gateway(Map.of())) {
      final WebSocketClient client = vertx.createWebSocketClient();
      final WebSocket ws =
          await(client.connect(gw.port(), "localhost", "/v1/conversations/live-ws/ws"));
      final BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
      ws.textMessageHandler(t -> frames.add(new JsonObject(t)));
      ws.writeTextMessage("{\"type\":\"generate\",\"max_tokens\":100}");
      for (int i = 0; i < 8; i++) {
        final JsonObject frame = frames.poll(30, TimeUnit.SECONDS);
        assertThat(frame.getString("type")).isEqualTo("token");
        assertThat(frame.getJsonArray("token_ids")).hasSize(1);
      }
      ws.writeTextMessage("{\"type\":\"cancel\"}");
      final JsonObject cancelled = frames.poll(30, TimeUnit.SECONDS);
      assertThat(cancelled.getString("type")).isEqualTo("cancelled");
      final String id = cancelled.getString("request_id");
      Eventually.until(() -> processors.shownAtCancel(id) >= 0, 30_000, "the cancel");
      assertThat(processors.shownAtCancel(id))
          .as("the draws the client was shown, which the reply must keep")
          .isEqualTo(8);
      final String metrics = gw.registry().scrape();
      assertThat(metrics)
          .contains("finchstream_gateway_generation_first_token_seconds_count{api=\"websocket\"} 1")
          .contains(
              "finchstream_gateway_generation_inter_token_seconds_count{api=\"websocket\"} 7");
      await(ws.close());
      await(client.close());
    }
  }

  @Test
  void shouldDeliverNothingBeforeTheCommitWhenLiveTokensAreOff() throws Exception {
    processors.script(" abc", 2, 0);
    processors.holdCommits();
    try (GatewayHarness gw = gateway(Map.of(GatewayConfig.LIVE_TOKENS_CONFIG, false))) {
      final BlockingQueue<Http.Sse> frames =
          stream(gw.port(), "/v1/conversations/live-off/generate", "{\"max_tokens\":200}");
      assertThat(frames.poll(1, TimeUnit.SECONDS)).as("nothing before the commit").isNull();
      processors.releaseCommits();
      final Http.Sse first = next(frames);
      assertThat(first.event()).isEqualTo("token");
      assertThat(first.json().getJsonArray("token_ids")).as("a committed chunk").hasSize(2);
      assertThat(next(frames).json().getString("text")).isEqualTo("bc");
      assertThat(next(frames).event()).isEqualTo("done");
    }
  }
}
