package io.finchstream.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.gateway.testing.Eventually;
import io.finchstream.gateway.testing.GatewayHarness;
import io.finchstream.gateway.testing.Http;
import io.finchstream.gateway.testing.ScriptedGateway;
import io.finchstream.gateway.testing.ScriptedProcessors;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.Role;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The native API over a real Kafka cluster, with {@link ScriptedProcessors} answering in place of
 * the model (these tests are about HTTP behaviour; {@code GatewayEndToEndTest} runs the real
 * processors).
 */
@ExtendWith(VertxExtension.class)
class GatewayApiTest {

  private static final String SCRIPT = " Hello there, friend!";

  private static ScriptedGateway stack;
  private static ScriptedProcessors processors;
  private static GatewayHarness harness;
  private static Http http;

  @BeforeAll
  static void start(final Vertx vertx) throws Exception {
    stack = ScriptedGateway.prepare();
    processors = stack.processors();
    harness =
        stack
            .start(
                vertx,
                Map.of(),
                () -> List.of(new ReadinessProbe.Check("streams", true, "RUNNING")),
                new EventLimits(1000, 100, 64, 16, 4, 4))
            .harness();
    http = new Http(WebClient.create(vertx), harness.port());
  }

  @AfterAll
  static void stop() throws Exception {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void shouldAppendAMessageAndAnswerWithItsOffset() {
    final Http.Response r =
        http.post(
            "/v1/conversations/append-1/messages", "{\"text\":\"Hi there\",\"role\":\"user\"}");
    assertThat(r.status()).isEqualTo(202);
    assertThat(r.json().getString("conversation_id")).isEqualTo("append-1");
    assertThat(r.json().getLong("offset")).isNotNegative();
    final String eventId = r.json().getString("event_id");
    Eventually.until(
        () -> processors.events().stream().anyMatch(e -> e.getEventId().equals(eventId)),
        10_000,
        "the event in Kafka");
    final ConversationEvent event =
        processors.events().stream()
            .filter(e -> e.getEventId().equals(eventId))
            .findFirst()
            .orElseThrow();
    assertThat(event.getAppendText().getText()).isEqualTo("Hi there");
    assertThat(event.getAppendText().getRole()).isEqualTo(Role.ROLE_USER);
  }

  @Test
  void shouldReadItsOwnWritesRightAway() {
    assertThat(http.post("/v1/conversations/ryw/messages", "{\"tokens\":[1,2,3]}").status())
        .isEqualTo(202);
    assertThat(
            http.post("/v1/conversations/ryw/messages", "{\"text\":\"abc\",\"role\":\"raw\"}")
                .status())
        .isEqualTo(202);
    final Http.Response r = http.get("/v1/conversations/ryw");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getLong("tokens")).isEqualTo(6);
    assertThat(r.json().getLong("messages")).isEqualTo(2);
  }

  @Test
  void shouldStreamTokensEndingWithOneDoneEvent() {
    http.post("/v1/conversations/sse-1/messages", "{\"text\":\"Hello\"}");
    final Http.Response r =
        http.post(
            "/v1/conversations/sse-1/generate",
            "{\"max_tokens\":64,\"temperature\":0.5,\"stop\":[\"\\n\"]}");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.headers().get("Content-Type")).startsWith("text/event-stream");
    final List<Http.Sse> events = r.events();
    assertThat(events).isNotEmpty();
    assertThat(events.subList(0, events.size() - 1)).allMatch(e -> e.event().equals("token"));
    final Http.Sse done = events.get(events.size() - 1);
    assertThat(done.event()).isEqualTo("done");
    final String streamed =
        events.stream()
            .filter(e -> e.event().equals("token"))
            .map(e -> e.json().getString("text"))
            .collect(Collectors.joining());
    assertThat(streamed).isEqualTo(SCRIPT);
    assertThat(done.json().getString("text")).isEqualTo(SCRIPT);
    assertThat(done.json().getString("finish_reason")).isEqualTo("stop");
    assertThat(done.json().getJsonObject("usage").getLong("completion_tokens"))
        .isEqualTo(SCRIPT.length());
    assertThat(
            events.stream()
                .filter(e -> e.event().equals("token"))
                .map(e -> e.json().getInteger("index")))
        .containsExactlyElementsOf(IntStream.range(0, SCRIPT.length()).boxed().toList());
  }

  @Test
  void shouldAnswerOneJsonBodyWhenNotStreaming() {
    final Http.Response r =
        http.post(
            "/v1/conversations/json-1/generate", "{\"max_tokens\":5,\"stream\":false,\"seed\":7}");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("text")).isEqualTo(SCRIPT.substring(0, 5));
    assertThat(r.json().getString("finish_reason")).isEqualTo("length");
    assertThat(r.json().getString("request_id"))
        .isEqualTo(r.headers().get("X-Finchstream-Generation"));
  }

  @Test
  void shouldForkAndDeleteConversations() {
    http.post("/v1/conversations/fork-src/messages", "{\"text\":\"shared start\"}");
    assertThat(http.post("/v1/conversations/fork-src/fork", "{\"new_id\":\"fork-dst\"}").status())
        .isEqualTo(202);
    Eventually.until(
        () -> http.get("/v1/conversations/fork-dst").status() == 200, 10_000, "the fork to appear");
    final JsonObject forked = http.get("/v1/conversations/fork-dst").json();
    assertThat(forked.getString("forked_from")).isEqualTo("fork-src");
    assertThat(forked.getLong("tokens"))
        .isEqualTo(http.get("/v1/conversations/fork-src").json().getLong("tokens"));

    final Http.Response again =
        http.post("/v1/conversations/fork-src/fork", "{\"new_id\":\"fork-dst\"}");
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.errorCode()).isEqualTo("conversation_exists");

    assertThat(http.delete("/v1/conversations/fork-dst").status()).isEqualTo(202);
    final Http.Response gone = http.get("/v1/conversations/fork-dst");
    assertThat(gone.status()).isEqualTo(404);
    assertThat(gone.errorCode()).isEqualTo("unknown_conversation");
    assertThat(http.get("/v1/conversations/fork-src").status()).isEqualTo(200);
  }

  @Test
  void shouldRejectBadInputWithAClearJsonErrorAndWriteNothing() {
    final int before = sentinel("bad-input-before");
    final String big = "x".repeat(1100);
    final Object[][] cases = {
      {
        HttpMethod.POST,
        "/v1/conversations/bad/messages",
        "{\"text\": \"unterminated",
        400,
        "malformed_json"
      },
      {HttpMethod.POST, "/v1/conversations/bad/messages", "[1,2]", 400, "malformed_json"},
      {
        HttpMethod.POST,
        "/v1/conversations/bad/messages",
        "{\"txt\":\"typo\"}",
        400,
        "invalid_parameter"
      },
      {
        HttpMethod.POST,
        "/v1/conversations/bad/messages",
        "{\"text\":\"a\",\"tokens\":[1]}",
        400,
        "invalid_parameter"
      },
      {HttpMethod.POST, "/v1/conversations/bad/messages", "{}", 400, "invalid_parameter"},
      {
        HttpMethod.POST,
        "/v1/conversations/bad/messages",
        "{\"text\":\"a\",\"role\":\"robot\"}",
        400,
        "invalid_parameter"
      },
      {
        HttpMethod.POST,
        "/v1/conversations/bad/messages",
        "{\"tokens\":[1,256]}",
        400,
        "invalid_parameter"
      },
      {
        HttpMethod.POST,
        "/v1/conversations/bad/messages",
        "{\"tokens\":[1.5]}",
        400,
        "invalid_parameter"
      },
      {
        HttpMethod.POST,
        "/v1/conversations/bad/messages",
        "{\"text\":\"" + big + "\"}",
        413,
        "payload_too_large"
      },
      {
        HttpMethod.POST,
        "/v1/conversations/bad/messages",
        "{\"text\":\"" + "y".repeat(1_100_000) + "\"}",
        413,
        "payload_too_large"
      },
      {
        HttpMethod.POST,
        "/v1/conversations/bad%20id/messages",
        "{\"text\":\"a\"}",
        400,
        "invalid_parameter"
      },
      {
        HttpMethod.POST,
        "/v1/conversations/bad/generate",
        "{\"temperature\":-1}",
        400,
        "invalid_parameter"
      },
      {
        HttpMethod.POST, "/v1/conversations/bad/generate", "{\"top_p\":0}", 400, "invalid_parameter"
      },
      {
        HttpMethod.POST,
        "/v1/conversations/bad/generate",
        "{\"max_tokens\":0}",
        400,
        "invalid_parameter"
      },
      {
        HttpMethod.POST,
        "/v1/conversations/bad/generate",
        "{\"max_tokens\":65}",
        400,
        "invalid_parameter"
      },
      {
        HttpMethod.POST,
        "/v1/conversations/bad/generate",
        "{\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}",
        400,
        "invalid_parameter"
      },
      {
        HttpMethod.POST,
        "/v1/conversations/bad/generate",
        "{\"stream\":\"yes\"}",
        400,
        "invalid_parameter"
      },
      {
        HttpMethod.POST, "/v1/conversations/bad/generate", "{\"seed\":-3}", 400, "invalid_parameter"
      },
      {HttpMethod.GET, "/v1/conversations/never-seen", null, 404, "unknown_conversation"},
      {
        HttpMethod.POST,
        "/v1/conversations/never-seen/fork",
        "{\"new_id\":\"x\"}",
        404,
        "unknown_conversation"
      },
      {
        HttpMethod.POST,
        "/v1/conversations/never-seen/fork",
        "{\"new_id\":\"never-seen\"}",
        400,
        "invalid_parameter"
      },
      {HttpMethod.DELETE, "/v1/conversations/never-seen", null, 404, "unknown_conversation"},
      {HttpMethod.GET, "/v1/no-such-endpoint", null, 404, "not_found"},
      {HttpMethod.PUT, "/v1/conversations/bad/messages", "{}", 405, "method_not_allowed"},
    };
    for (final Object[] c : cases) {
      final Http.Response r = http.call((HttpMethod) c[0], (String) c[1], (String) c[2], Map.of());
      final String label =
          c[0]
              + " "
              + c[1]
              + " "
              + (c[2] == null
                  ? ""
                  : ((String) c[2]).substring(0, Math.min(60, ((String) c[2]).length())));
      assertThat(r.status()).as(label + " -> " + r.body()).isEqualTo(c[3]);
      assertThat(r.headers().get("Content-Type")).as(label).startsWith("application/json");
      assertThat(r.errorCode()).as(label).isEqualTo(c[4]);
      assertThat(r.json().getJsonObject("error").getString("message")).as(label).isNotBlank();
    }
    final int after = sentinel("bad-input-after");
    assertThat(after - before).as("events written between the two sentinels").isEqualTo(1);
  }

  /** Writes a valid event and waits for it: the number of events seen before it. */
  private static int sentinel(final String conversation) {
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
  void shouldReportHealthAndMetrics() {
    assertThat(http.get("/health/live").status()).isEqualTo(200);
    final Http.Response ready = http.get("/health/ready");
    assertThat(ready.status()).as(ready.body()).isEqualTo(200);
    assertThat(
            ready.json().getJsonArray("checks").stream()
                .map(o -> ((JsonObject) o).getString("name"))
                .toList())
        .containsExactly("kafka", "replies", "streams");
    http.get("/v1/models");
    final Http.Response metrics = http.get("/metrics");
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.headers().get("Content-Type")).startsWith("text/plain");
    assertThat(metrics.body())
        .contains(
            "finchstream_gateway_http_requests_seconds_count{method=\"GET\",route=\"/v1/models\",status=\"200\"}")
        .contains("finchstream_gateway_generations_active")
        .contains("kafka_producer_record_send_total");
  }

  @Test
  void shouldDescribeTheServedModelInTheModelList() {
    final Http.Response models = http.get("/v1/models");
    assertThat(models.status()).isEqualTo(200);
    assertThat(models.body())
        .contains("\"id\":\"" + GatewayHarness.MODEL.id() + "\"")
        .contains("\"description\":\"" + GatewayHarness.MODEL.description() + "\"");
  }

  @Test
  void shouldServeTheChatPage() {
    final Http.Response page = http.get("/");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.headers().get("Content-Type")).startsWith("text/html");
    assertThat(page.body()).contains("<title>Finchstream chat</title>");
    assertThat(http.get("/chat.js").status()).isEqualTo(200);
  }
}
