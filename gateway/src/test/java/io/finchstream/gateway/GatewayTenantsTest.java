package io.finchstream.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.gateway.testing.Eventually;
import io.finchstream.gateway.testing.GatewayHarness;
import io.finchstream.gateway.testing.Http;
import io.finchstream.gateway.testing.ScriptedProcessors;
import io.finchstream.processors.testing.KafkaTestCluster;
import io.finchstream.proto.v1.ConversationEvent;
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
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tenants over a real Kafka cluster, with {@link ScriptedProcessors} answering: the keys of one
 * tenant share its conversations, and another tenant's conversation of the same id is not there for
 * it on any route, the WebSocket or the OpenAI path.
 */
@ExtendWith(VertxExtension.class)
class GatewayTenantsTest {

  private static final String KEYS = "acme:acme-1,acme:acme-2,globex:globex-1,plain-key";

  private static KafkaTestCluster cluster;
  private static ScriptedProcessors processors;
  private static Vertx vertx;
  private static GatewayHarness gateway;
  private static Http http;

  @BeforeAll
  static void start(final Vertx v) throws Exception {
    vertx = v;
    cluster = KafkaTestCluster.start(1);
    GatewayHarness.createTopics(cluster);
    processors = new ScriptedProcessors(cluster);
    gateway =
        GatewayHarness.start(
            vertx,
            GatewayHarness.config(cluster, Map.of(GatewayConfig.API_KEYS_CONFIG, KEYS)),
            processors,
            ReadinessProbe.none(),
            EventLimits.defaults());
    http = new Http(WebClient.create(vertx), gateway.port());
  }

  @AfterAll
  static void stop() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
    if (processors != null) {
      processors.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Map<String, String> as(final String key) {
    return Map.of("Authorization", "Bearer " + key);
  }

  private static Http.Response call(
      final String key, final HttpMethod method, final String path, final String body) {
    return http.call(method, path, body, as(key));
  }

  /** The Kafka key the event went to, once the scripted processors have read it. */
  private static String keyOf(final String eventId) {
    Eventually.until(
        () -> !processors.conversationOf(eventId).isEmpty(), 10_000, "event " + eventId);
    return processors.conversationOf(eventId);
  }

  private static <T> T await(final Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void shouldShareConversationsWithinATenantAndHideThemFromOthers() {
    final Http.Response written =
        call("acme-1", HttpMethod.POST, "/v1/conversations/plan/messages", "{\"text\":\"secret\"}");
    assertThat(written.status()).isEqualTo(202);
    assertThat(written.json().getString("conversation_id")).isEqualTo("plan");
    assertThat(keyOf(written.json().getString("event_id")))
        .as("the Kafka key is the tenant's")
        .isEqualTo("t/acme/plan");

    final Http.Response sameTenant = call("acme-2", HttpMethod.GET, "/v1/conversations/plan", null);
    assertThat(sameTenant.status()).as(sameTenant.body()).isEqualTo(200);
    assertThat(sameTenant.json().getString("id")).isEqualTo("plan");
    assertThat(sameTenant.json().getLong("messages")).isEqualTo(1);

    for (final Object[] c :
        new Object[][] {
          {HttpMethod.GET, "/v1/conversations/plan", null},
          {HttpMethod.DELETE, "/v1/conversations/plan", null},
          {HttpMethod.POST, "/v1/conversations/plan/fork", "{\"new_id\":\"stolen\"}"},
        }) {
      final Http.Response other = call("globex-1", (HttpMethod) c[0], (String) c[1], (String) c[2]);
      assertThat(other.status()).as(c[0] + " " + c[1] + ": " + other.body()).isEqualTo(404);
      assertThat(other.errorCode()).isEqualTo("unknown_conversation");
    }
    assertThat(call("plain-key", HttpMethod.GET, "/v1/conversations/plan", null).status())
        .as("the default tenant is a tenant too")
        .isEqualTo(404);

    // Writing to the same id makes another tenant's own conversation, not a change to acme's.
    final Http.Response own =
        call("globex-1", HttpMethod.POST, "/v1/conversations/plan/messages", "{\"text\":\"mine\"}");
    assertThat(own.status()).isEqualTo(202);
    assertThat(keyOf(own.json().getString("event_id"))).isEqualTo("t/globex/plan");
    assertThat(
            call("acme-1", HttpMethod.GET, "/v1/conversations/plan", null)
                .json()
                .getLong("messages"))
        .isEqualTo(1);
    assertThat(call("acme-1", HttpMethod.GET, "/v1/conversations/stolen", null).status())
        .isEqualTo(404);
  }

  @Test
  void shouldShowForksWithinTheTenantWithoutItsName() {
    call("acme-1", HttpMethod.POST, "/v1/conversations/fork-src/messages", "{\"text\":\"x\"}");
    final Http.Response forked =
        call(
            "acme-2",
            HttpMethod.POST,
            "/v1/conversations/fork-src/fork",
            "{\"new_id\":\"fork-dst\"}");
    assertThat(forked.status()).as(forked.body()).isEqualTo(202);
    Eventually.until(
        () -> call("acme-1", HttpMethod.GET, "/v1/conversations/fork-dst", null).status() == 200,
        10_000,
        "the fork");
    final JsonObject meta =
        call("acme-1", HttpMethod.GET, "/v1/conversations/fork-dst", null).json();
    assertThat(meta.getString("id")).isEqualTo("fork-dst");
    assertThat(meta.getString("forked_from")).isEqualTo("fork-src");
    assertThat(call("globex-1", HttpMethod.GET, "/v1/conversations/fork-dst", null).status())
        .isEqualTo(404);
  }

  @Test
  void shouldKeepTenantsApartOnTheWebSocketAndTheOpenAiPath() throws Exception {
    call(
        "acme-1", HttpMethod.POST, "/v1/conversations/chat-x/messages", "{\"text\":\"acme only\"}");
    final WebSocketClient client = vertx.createWebSocketClient();
    final WebSocket ws =
        await(
            client.connect(
                new WebSocketConnectOptions()
                    .setPort(gateway.port())
                    .setHost("localhost")
                    .setURI("/v1/conversations/chat-x/ws?access_token=globex-1")));
    final BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    ws.textMessageHandler(t -> frames.add(new JsonObject(t)));
    ws.writeTextMessage("{\"type\":\"message\",\"text\":\"from globex\"}");
    final JsonObject accepted = frames.poll(10, TimeUnit.SECONDS);
    assertThat(accepted.getString("type")).as(String.valueOf(accepted)).isEqualTo("accepted");
    assertThat(keyOf(accepted.getString("event_id"))).isEqualTo("t/globex/chat-x");
    await(ws.close());
    await(client.close());

    // The OpenAI path with acme's id, as globex: globex's own conversation, which holds one
    // message (its own), so acme's one-message history does not match it: globex's conversation
    // goes back to the start (a rewind of its own key) and takes the request's history.
    final String body =
        new JsonObject()
            .put("model", GatewayHarness.MODEL.id())
            .put(
                "messages",
                new JsonArray()
                    .add(new JsonObject().put("role", "user").put("content", "acme only")))
            .encode();
    final Http.Response asGlobex =
        http.call(
            HttpMethod.POST,
            "/v1/chat/completions",
            body,
            Map.of("Authorization", "Bearer globex-1", "X-Conversation-Id", "chat-x"));
    assertThat(asGlobex.status()).as(asGlobex.body()).isEqualTo(200);
    assertThat(asGlobex.headers().get("X-Conversation-Id")).isEqualTo("chat-x");
    assertThat(
            processors.events().stream()
                .filter(ConversationEvent::hasRewind)
                .map(e -> keyOf(e.getEventId())))
        .as("only globex's own conversation went back")
        .containsExactly("t/globex/chat-x");
    final Http.Response asAcme =
        http.call(
            HttpMethod.POST,
            "/v1/chat/completions",
            body,
            Map.of("Authorization", "Bearer acme-2", "X-Conversation-Id", "chat-x"));
    assertThat(asAcme.status()).as("acme's own history continues: " + asAcme.body()).isEqualTo(200);
    assertThat(
            call("acme-1", HttpMethod.GET, "/v1/conversations/chat-x", null)
                .json()
                .getLong("messages"))
        .as("acme's message and the reply")
        .isEqualTo(2);

    // listings show each tenant its own conversations only, under the ids it uses
    call(
        "acme-1",
        HttpMethod.POST,
        "/v1/conversations/acme-private/messages",
        "{\"text\":\"only acme\"}");
    Eventually.until(
        () ->
            call("acme-1", HttpMethod.GET, "/v1/conversations/acme-private", null).status() == 200,
        10_000,
        "acme's conversation");
    final JsonArray acmes =
        call("acme-1", HttpMethod.GET, "/v1/conversations", null).json().getJsonArray("data");
    final JsonArray globexes =
        call("globex-1", HttpMethod.GET, "/v1/conversations", null).json().getJsonArray("data");
    assertThat(acmes.stream().map(o -> ((JsonObject) o).getString("id")))
        .contains("chat-x", "acme-private");
    assertThat(globexes.stream().map(o -> ((JsonObject) o).getString("id")))
        .contains("chat-x")
        .doesNotContain("acme-private", "t/globex/chat-x");
  }

  @Test
  void shouldKeepTheDefaultTenantsKeysAsTheyWere() throws Exception {
    final Http.Response written =
        call("plain-key", HttpMethod.POST, "/v1/conversations/demo/messages", "{\"text\":\"hi\"}");
    assertThat(keyOf(written.json().getString("event_id")))
        .as("what `finchstream send --conversation demo` writes, and `up` reads")
        .isEqualTo("demo");
    try (GatewayHarness open =
        GatewayHarness.start(
            vertx,
            GatewayHarness.config(cluster, Map.of()),
            processors,
            ReadinessProbe.none(),
            EventLimits.defaults())) {
      final Http keyless = new Http(WebClient.create(vertx), open.port());
      assertThat(keyless.get("/v1/conversations/demo").status()).isEqualTo(200);
      assertThat(keyless.get("/v1/conversations/plan").status())
          .as("no tenant's conversation shows without keys")
          .isEqualTo(404);
    }
  }
}
