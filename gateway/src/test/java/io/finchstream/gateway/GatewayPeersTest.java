package io.finchstream.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.gateway.testing.GatewayHarness;
import io.finchstream.gateway.testing.Http;
import io.finchstream.gateway.testing.RawHttp;
import io.finchstream.gateway.testing.ScriptedProcessors;
import io.finchstream.processors.testing.KafkaTestCluster;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.net.ServerSocket;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Reads forwarded between the gateways of a cluster over a real Kafka cluster, with {@link
 * ScriptedProcessors} answering: signed with the shared secret, never carrying the client's key,
 * never echoing what the peer said, and closed to clients that pose as a gateway.
 */
@ExtendWith(VertxExtension.class)
class GatewayPeersTest {

  private static final String KEY = "client-key";

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

  /** A gateway whose directory says every conversation lives at {@code owner}. */
  private static GatewayHarness forwarding(final String owner, final String secret)
      throws Exception {
    return GatewayHarness.start(
        vertx,
        GatewayHarness.config(
            cluster,
            Map.of(GatewayConfig.API_KEYS_CONFIG, KEY, GatewayConfig.PEER_SECRET_CONFIG, secret)),
        id -> new ConversationLookup.Elsewhere(owner),
        ReadinessProbe.none(),
        EventLimits.defaults());
  }

  /** A gateway that owns every conversation (the scripted processors' metadata). */
  private static GatewayHarness owning(final String secret) throws Exception {
    return GatewayHarness.start(
        vertx,
        GatewayHarness.config(
            cluster,
            Map.of(GatewayConfig.API_KEYS_CONFIG, KEY, GatewayConfig.PEER_SECRET_CONFIG, secret)),
        processors,
        ReadinessProbe.none(),
        EventLimits.defaults());
  }

  private static Map<String, String> auth() {
    return Map.of("Authorization", "Bearer " + KEY);
  }

  @Test
  void shouldForwardAReadSignedWithTheSharedSecretAndSeeItsOwnWrite() throws Exception {
    try (GatewayHarness owner = owning("cluster-secret");
        GatewayHarness front = forwarding("localhost:" + owner.port(), "cluster-secret")) {
      final Http http = new Http(WebClient.create(vertx), front.port());
      final Http.Response written =
          http.call(
              HttpMethod.POST, "/v1/conversations/peer-1/messages", "{\"text\":\"hello\"}", auth());
      assertThat(written.status()).as(written.body()).isEqualTo(202);
      final Http.Response read = http.get("/v1/conversations/peer-1", auth());
      assertThat(read.status()).as(read.body()).isEqualTo(200);
      assertThat(read.json().getString("id")).isEqualTo("peer-1");
      assertThat(read.json().getLong("messages"))
          .as("the forwarded read waited for this gateway's write")
          .isEqualTo(1);
      assertThat(http.get("/v1/conversations/peer-none", auth()).status()).isEqualTo(404);
    }
  }

  @Test
  void shouldWaitOutAnOwnerThatStopsOrMovesInsteadOfFailing() throws Exception {
    final int dead = freePort();
    try (GatewayHarness owner = owning("cluster-secret")) {
      // The owner stops (its port refuses connections), then the partition moves (no owner for a
      // while), then the directory names the new owner: one client read, answered by the new
      // owner.
      final long start = System.nanoTime();
      final ConversationDirectory moving =
          id -> {
            final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            return ms < 800
                ? new ConversationLookup.Elsewhere("localhost:" + dead)
                : ms < 1600
                    ? new ConversationLookup.Unavailable("rebalancing")
                    : new ConversationLookup.Elsewhere("localhost:" + owner.port());
          };
      try (GatewayHarness front = front(moving, "cluster-secret", 15_000)) {
        final Http http = new Http(WebClient.create(vertx), front.port());
        final Http.Response written =
            http.call(
                HttpMethod.POST, "/v1/conversations/peer-4/messages", "{\"text\":\"hi\"}", auth());
        assertThat(written.status()).as(written.body()).isEqualTo(202);
        final Http.Response read = http.get("/v1/conversations/peer-4", auth());
        assertThat(read.status()).as(read.body()).isEqualTo(200);
        assertThat(read.json().getLong("messages")).isEqualTo(1);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
            .as("answered once the new owner was known")
            .isGreaterThanOrEqualTo(1600);
      }
    }
  }

  @Test
  void shouldAnswer503OnceAnOwnerStaysUnreachableForTheFailoverWait() throws Exception {
    final int dead = freePort();
    try (GatewayHarness front =
        front(id -> new ConversationLookup.Elsewhere("localhost:" + dead), "s", 1_000)) {
      final long start = System.nanoTime();
      final Http.Response read =
          new Http(WebClient.create(vertx), front.port()).get("/v1/conversations/peer-5", auth());
      assertThat(read.status()).as(read.body()).isEqualTo(503);
      assertThat(read.errorCode()).isEqualTo("peer_unreachable");
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
          .as("gateway.failover.wait.ms")
          .isBetween(1_000L, 10_000L);
    }
  }

  @Test
  void shouldLetTheForwardingGatewayDecideHowLongToWaitForAMovingPartition() throws Exception {
    try (GatewayHarness owner =
            front(id -> new ConversationLookup.Unavailable("restoring"), "cluster-secret", 60_000);
        GatewayHarness front =
            front(
                id -> new ConversationLookup.Elsewhere("localhost:" + owner.port()),
                "cluster-secret",
                1_000)) {
      final long start = System.nanoTime();
      final Http.Response read =
          new Http(WebClient.create(vertx), front.port()).get("/v1/conversations/peer-6", auth());
      assertThat(read.status()).as(read.body()).isEqualTo(503);
      assertThat(read.errorCode()).isEqualTo("conversation_unavailable");
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
          .as("the front's wait (1 s), not the peer's (60 s)")
          .isLessThan(10_000L);
    }
  }

  @Test
  void shouldAnswer503NotA404WhileAnAcceptedWriteIsNotAppliedYet() throws Exception {
    // The owner's task was fenced in a rebalance and replays its input: the conversation this
    // gateway answered 202 for is not there yet when the read-your-writes wait ends.
    try (GatewayHarness gateway =
        GatewayHarness.start(
            vertx,
            GatewayHarness.config(
                cluster,
                Map.of(
                    GatewayConfig.API_KEYS_CONFIG,
                    KEY,
                    GatewayConfig.READ_YOUR_WRITES_CONFIG,
                    500L)),
            id -> new ConversationLookup.NotFound(),
            ReadinessProbe.none(),
            EventLimits.defaults())) {
      final Http http = new Http(WebClient.create(vertx), gateway.port());
      final Http.Response written =
          http.call(
              HttpMethod.POST, "/v1/conversations/pending-1/messages", "{\"text\":\"hi\"}", auth());
      assertThat(written.status()).as(written.body()).isEqualTo(202);
      final long start = System.nanoTime();
      final Http.Response read = http.get("/v1/conversations/pending-1", auth());
      assertThat(read.status()).as(read.body()).isEqualTo(503);
      assertThat(read.errorCode()).isEqualTo("write_pending");
      assertThat(read.headers().get("Retry-After")).isEqualTo("1");
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
          .as("after gateway.read.your.writes.ms")
          .isGreaterThanOrEqualTo(500L);
      assertThat(http.get("/v1/conversations/pending-never-written", auth()).status())
          .as("a conversation nobody wrote to through this gateway is still a 404")
          .isEqualTo(404);
    }
  }

  private static GatewayHarness front(
      final ConversationDirectory directory, final String secret, final long waitMs)
      throws Exception {
    return GatewayHarness.start(
        vertx,
        GatewayHarness.config(
            cluster,
            Map.of(
                GatewayConfig.API_KEYS_CONFIG,
                KEY,
                GatewayConfig.PEER_SECRET_CONFIG,
                secret,
                GatewayConfig.FAILOVER_WAIT_CONFIG,
                waitMs)),
        directory,
        ReadinessProbe.none(),
        EventLimits.defaults());
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void shouldRefuseAReadSignedWithAnotherSecretWithAClearError() throws Exception {
    try (GatewayHarness owner = owning("one-secret");
        GatewayHarness front = forwarding("localhost:" + owner.port(), "another-secret")) {
      final Http.Response read =
          new Http(WebClient.create(vertx), front.port()).get("/v1/conversations/peer-2", auth());
      assertThat(read.status()).as(read.body()).isEqualTo(503);
      assertThat(read.errorCode()).isEqualTo("peer_unauthorized");
      assertThat(read.json().getJsonObject("error").getString("message"))
          .contains("gateway.peer.secret");
    }
  }

  @Test
  void shouldNeverSendTheClientsKeyToAPeerNorEchoWhatItAnswers() throws Exception {
    final CompletableFuture<MultiMap> seen = new CompletableFuture<>();
    final CompletableFuture<String> uri = new CompletableFuture<>();
    final HttpServer impostor =
        vertx
            .createHttpServer()
            .requestHandler(
                req -> {
                  seen.complete(req.headers());
                  uri.complete(req.uri());
                  req.response()
                      .setStatusCode(500)
                      .end("java.lang.IllegalStateException: store dump /var/lib/secret-path");
                })
            .listen(0)
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    try (GatewayHarness front = forwarding("localhost:" + impostor.actualPort(), "s")) {
      final Http.Response read =
          new Http(WebClient.create(vertx), front.port()).get("/v1/conversations/peer-3", auth());
      assertThat(read.status()).as(read.body()).isEqualTo(503);
      assertThat(read.errorCode()).isEqualTo("peer_failed");
      assertThat(read.body()).doesNotContain("secret-path").doesNotContain("IllegalState");
      final MultiMap headers = seen.get(10, TimeUnit.SECONDS);
      assertThat(headers.get("Authorization")).as("the client's key stays here").isNull();
      assertThat(headers.get("X-Finchstream-Peer")).startsWith("v1:");
      assertThat(headers.get("X-Finchstream-Peer")).doesNotContain("\"s\"");
      assertThat(uri.get()).startsWith("/internal/v1/conversation?key=peer-3");
    } finally {
      impostor.close();
    }
  }

  @Test
  void shouldRefuseClientsPosingAsAGateway() throws Exception {
    try (GatewayHarness owner = owning("cluster-secret")) {
      final RawHttp raw = new RawHttp(owner.port());
      final long started = System.nanoTime();
      final RawHttp.Answer posing =
          raw.send(
              "GET",
              "/v1/conversations/nope",
              Map.of(
                  "Authorization",
                  "Bearer " + KEY,
                  "X-Finchstream-Forwarded",
                  "1",
                  "X-Finchstream-After",
                  "0:999999999999:0"),
              null);
      assertThat(posing.status()).as(posing.body()).isEqualTo(400);
      assertThat(posing.body()).contains("internal_header");
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
          .as("answered at once, no polling for a write that never happened")
          .isLessThan(2_000);
      final RawHttp.Answer unsigned =
          raw.send("GET", "/internal/v1/conversation?key=nope", Map.of(), null);
      assertThat(unsigned.status()).isEqualTo(401);
      final RawHttp.Answer forged =
          raw.send(
              "GET",
              "/internal/v1/conversation?key=nope",
              Map.of("X-Finchstream-Peer", "v1:" + System.currentTimeMillis() + ":00ff"),
              null);
      assertThat(forged.status()).isEqualTo(401);
    }
  }
}
