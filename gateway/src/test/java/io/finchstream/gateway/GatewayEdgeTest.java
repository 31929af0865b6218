package io.finchstream.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.gateway.testing.Eventually;
import io.finchstream.gateway.testing.GatewayHarness;
import io.finchstream.gateway.testing.Http;
import io.finchstream.gateway.testing.RawHttp;
import io.finchstream.gateway.testing.ScriptedProcessors;
import io.finchstream.processors.testing.KafkaTestCluster;
import io.finchstream.proto.v1.ConversationEvent;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.Map;
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
}
