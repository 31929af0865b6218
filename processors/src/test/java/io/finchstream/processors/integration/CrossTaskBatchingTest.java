package io.finchstream.processors.integration;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.FinchstreamService;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.event.EventValidator;
import io.finchstream.processors.testing.ChangelogReader;
import io.finchstream.processors.testing.DirectEngine;
import io.finchstream.processors.testing.Events;
import io.finchstream.processors.testing.Fingerprint;
import io.finchstream.processors.testing.KafkaTestCluster;
import io.finchstream.processors.testing.ReplyCollector;
import io.finchstream.processors.testing.ServiceConfigs;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.TokenChunk;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One stream thread, several partitions (tasks): the generations of all tasks are decoded in shared
 * engine calls, and every reply and every durable state is still exactly what a direct, unbatched
 * engine run gives.
 */
class CrossTaskBatchingTest {

  private static final int PARTITIONS = 4;
  private static final int CONVERSATIONS = 8;
  private static final int TOKENS = 80;

  @TempDir Path dir;

  @Test
  void shouldBatchGenerationsOfAllTasksOfAThreadAndReplyExactlyAsTheDirectEngine()
      throws Exception {
    final LoadedModel model = TestModels.randomFinch();
    final String app = "cross-task";
    try (KafkaTestCluster cluster = KafkaTestCluster.start(1)) {
      final Map<String, Object> props =
          ServiceConfigs.forTest(cluster.bootstrapServers(), app, dir, PARTITIONS, (short) 1);
      props.put(FinchstreamConfig.DECODE_CYCLE_MS_CONFIG, 2L);
      final SimpleMeterRegistry registry = new SimpleMeterRegistry();
      final List<DirectEngine> directs = new ArrayList<>();
      final List<ConversationEvent> generates = new ArrayList<>();
      final List<String> conversations = spreadOverPartitions();
      final List<Reply> replies;
      try (ReplyCollector collector = new ReplyCollector(cluster.consumerProps());
          KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(cluster.producerProps());
          FinchstreamService service =
              new FinchstreamService(new FinchstreamConfig(props), model, registry)) {
        service.start();
        assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
        // Everything at once, so that the generations of all tasks run at the same time.
        final List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (int i = 0; i < CONVERSATIONS; i++) {
          final String prompt = "Conversation " + i + " says:" + " hello".repeat(i + 1);
          directs.add(new DirectEngine(model.model(), model.tokenizer()).appendText(prompt));
          sent.add(send(producer, conversations.get(i), Events.appendText(prompt)));
          generates.add(
              i % 2 == 0
                  ? Events.generateGreedy("g" + i, TOKENS)
                  : Events.generateSampled("g" + i, TOKENS, 11L * i));
        }
        for (int i = 0; i < CONVERSATIONS; i++) {
          sent.add(send(producer, conversations.get(i), generates.get(i)));
        }
        producer.flush();
        for (final Future<RecordMetadata> f : sent) {
          f.get(); // the broker has it, or the test fails with the producer's error
        }
        final List<String> ids = new ArrayList<>();
        for (int i = 0; i < CONVERSATIONS; i++) {
          ids.add("g" + i);
        }
        collector.awaitFinished(ids, Duration.ofMinutes(2));
        replies = collector.replies();
      }
      assertThat(registry.find("finchstream.batch.conversations").summary().max())
          .as(
              "an engine call with generations of more than one task (each task has %d)",
              CONVERSATIONS / PARTITIONS)
          .isGreaterThan(CONVERSATIONS / PARTITIONS);
      final ChangelogReader.Contents contents = ChangelogReader.read(cluster.consumerProps(), app);
      for (int i = 0; i < CONVERSATIONS; i++) {
        final Generate g = generates.get(i).getGenerate();
        final DirectEngine.Generation expected = directs.get(i).generate(params(g, TOKENS));
        final String requestId = "g" + i;
        final List<Reply> mine =
            replies.stream().filter(r -> r.getRequestId().equals(requestId)).toList();
        final List<TokenChunk> chunks =
            mine.stream().filter(Reply::hasChunk).map(Reply::getChunk).toList();
        for (int k = 0; k < chunks.size(); k++) {
          assertThat(chunks.get(k).getIndex()).isEqualTo(k);
        }
        assertThat(
                chunks.stream()
                    .flatMap(c -> c.getTokenIdsList().stream())
                    .mapToInt(Integer::intValue)
                    .toArray())
            .containsExactly(expected.tokens());
        assertThat(mine.get(mine.size() - 1).getDone().getText()).isEqualTo(expected.text());
        assertThat(mine.stream().filter(Reply::hasDone).count()).isEqualTo(1);
        assertThat(
                Fingerprint.of(
                    model.model(), contents.durable().rebuild(model.model(), conversations.get(i))))
            .isEqualTo(Fingerprint.of(model.model(), directs.get(i).state()));
      }
    }
  }

  private static SamplingParams params(final Generate g, final int maxTokens) {
    final long seed =
        g.getSampling().hasSeed()
            ? g.getSampling().getSeed()
            : EventValidator.seedOf(g.getRequestId());
    return EventValidator.samplingParams(g, maxTokens, seed).build();
  }

  /** Conversation ids, the same number on every partition (Kafka's default partitioner). */
  private static List<String> spreadOverPartitions() {
    final int[] count = new int[PARTITIONS];
    final List<String> ids = new ArrayList<>();
    for (int n = 0; ids.size() < CONVERSATIONS; n++) {
      final String id = "c" + n;
      final int p =
          Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
      if (count[p] < CONVERSATIONS / PARTITIONS) {
        count[p]++;
        ids.add(id);
      }
    }
    return ids;
  }

  private static Future<RecordMetadata> send(
      final KafkaProducer<byte[], byte[]> producer,
      final String conversation,
      final ConversationEvent event) {
    return producer.send(
        new ProducerRecord<>(
            Topics.EVENTS, conversation.getBytes(StandardCharsets.UTF_8), event.toByteArray()));
  }
}
