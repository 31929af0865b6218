package io.finchstream.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.gateway.testing.GatewayHarness;
import io.finchstream.processors.testing.KafkaTestCluster;
import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.TokenChunk;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Generations nobody waits for any more (reliability audit S3-3): after a crash and restart the
 * processors resume a generation whose client is gone, and its replies come to the gateway it named
 * (the same id after a restart). The gateway cancels such a generation once, instead of letting it
 * run to max_tokens and append a reply no client saw.
 */
@ExtendWith(VertxExtension.class)
class GatewayOrphanRepliesTest {

  private static KafkaTestCluster cluster;
  private static Vertx vertx;

  @BeforeAll
  static void start(final Vertx v) throws Exception {
    vertx = v;
    cluster = KafkaTestCluster.start(1);
    GatewayHarness.createTopics(cluster);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @SuppressWarnings("try") // the gateway only has to run: its replies consumer is what is tested
  void shouldCancelOnceAGenerationWhoseRepliesComeHereButNobodyWaits() throws Exception {
    try (GatewayHarness gateway =
            GatewayHarness.start(
                vertx,
                GatewayHarness.config(
                    cluster, Map.of(GatewayConfig.INSTANCE_ID_CONFIG, "gw-restarted")),
                id -> new ConversationLookup.NotFound(),
                ReadinessProbe.none(),
                EventLimits.defaults());
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(cluster.producerProps());
        KafkaConsumer<byte[], byte[]> events = new KafkaConsumer<>(cluster.consumerProps())) {
      events.subscribe(List.of(Topics.EVENTS));
      for (int i = 0; i < 3; i++) {
        send(producer, chunk("orphan-1", "gen-before-the-crash", "gw-restarted", i));
      }
      send(producer, chunk("orphan-2", "gen-of-another", "gw-elsewhere", 0));
      final List<ConversationEvent> cancels = new ArrayList<>();
      final List<String> keys = new ArrayList<>();
      final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      // At least 3 s, to see that the later chunks do not cancel it again.
      final long settle = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      while (System.nanoTime() < deadline && (cancels.isEmpty() || System.nanoTime() < settle)) {
        for (final ConsumerRecord<byte[], byte[]> r : events.poll(Duration.ofMillis(200))) {
          cancels.add(ConversationEvent.parseFrom(r.value()));
          keys.add(new String(r.key(), StandardCharsets.UTF_8));
        }
      }
      assertThat(cancels).as("events the gateway wrote").hasSize(1);
      assertThat(keys).containsExactly("orphan-1");
      assertThat(cancels.get(0).getCancel().getRequestId()).isEqualTo("gen-before-the-crash");
    }
  }

  private static Reply chunk(
      final String conversation, final String request, final String replyTo, final int index) {
    return Reply.newBuilder()
        .setConversationId(conversation)
        .setRequestId(request)
        .setReplyTo(replyTo)
        .setChunk(TokenChunk.newBuilder().setIndex(index).addTokenIds(65).setText("A"))
        .build();
  }

  private static void send(final KafkaProducer<byte[], byte[]> producer, final Reply reply)
      throws Exception {
    producer
        .send(
            new ProducerRecord<>(
                Topics.REPLIES,
                reply.getConversationId().getBytes(StandardCharsets.UTF_8),
                reply.toByteArray()))
        .get();
  }
}
