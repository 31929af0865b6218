package io.finchstream.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.gateway.testing.GatewayHarness;
import io.finchstream.processors.testing.KafkaTestCluster;
import io.finchstream.proto.Topics;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gateway when Kafka takes writes but never confirms them: a real broker whose events topic
 * does not exist (and is not created automatically), so that every write waits for metadata that
 * never comes, the way it does while the cluster is unreachable. Requests must end by their
 * timeouts, each on its own, instead of queueing behind each other.
 */
@ExtendWith(VertxExtension.class)
class GatewayKafkaTroubleTest {

  private static KafkaTestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = KafkaTestCluster.start(1);
    cluster.createTopics(3, Topics.REPLIES); // the gateway reads replies; it cannot write events
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void shouldEndEveryRequestByItsTimeoutWhenWritesHang(final Vertx vertx) throws Exception {
    try (GatewayHarness gw =
        GatewayHarness.start(
            vertx,
            GatewayHarness.config(cluster, Map.of(GatewayConfig.REQUEST_TIMEOUT_CONFIG, 1_000)),
            id -> new ConversationLookup.NotFound(),
            ReadinessProbe.none(),
            EventLimits.defaults())) {
      final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      final String base = "http://localhost:" + gw.port();
      final String chat =
          "{\"model\":\""
              + GatewayHarness.MODEL.id()
              + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
      final List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
      final long started = System.nanoTime();
      for (int i = 0; i < 8; i++) {
        final String path =
            switch (i % 3) {
              case 0 -> "/v1/conversations/hang-" + i + "/generate";
              case 1 -> "/v1/chat/completions";
              default -> "/v1/conversations/hang-" + i + "/messages";
            };
        final String body =
            switch (i % 3) {
              case 0 -> "{}";
              case 1 -> chat;
              default -> "{\"text\":\"x\"}";
            };
        calls.add(
            http.sendAsync(
                HttpRequest.newBuilder(URI.create(base + path))
                    .header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      for (final CompletableFuture<HttpResponse<String>> call : calls) {
        final HttpResponse<String> r = call.get(60, TimeUnit.SECONDS);
        assertThat(r.statusCode()).as(r.uri() + ": " + r.body()).isIn(503, 504);
        assertThat(r.body()).as(r.uri().toString()).contains("\"error\"");
      }
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
          .as("8 requests that each time out after 1 s, together")
          .isLessThan(5_000);
      assertThat(gw.gateway().activeGenerations()).isZero();
    }
  }
}
