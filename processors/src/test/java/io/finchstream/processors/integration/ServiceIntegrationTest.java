package io.finchstream.processors.integration;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.finch.FinchConfig;
import io.finchstream.engine.testing.RandomFinch;
import io.finchstream.engine.tokenizer.ByteTokenizer;
import io.finchstream.processors.ConversationQueries;
import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.FinchstreamService;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.StoreNames;
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
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.Reply;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams.State;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service on a real (in-JVM, one-broker) Kafka: end to end, interactive queries, restoration,
 * record sizes.
 */
class ServiceIntegrationTest {

  /** One cluster per test: the topics are fixed names, so tests must not share them. */
  private KafkaTestCluster cluster;

  @TempDir Path dir;

  @BeforeEach
  void startCluster() throws Exception {
    cluster = KafkaTestCluster.start(1);
  }

  @AfterEach
  void stopCluster() throws Exception {
    cluster.close();
  }

  @Test
  void shouldServeEventsEndToEndAndRestoreLostLocalStateFromTheChangelogs() throws Exception {
    final LoadedModel model = TestModels.tinyFinch();
    final String app = "e2e";
    final Map<String, Object> props =
        ServiceConfigs.forTest(cluster.bootstrapServers(), app, dir.resolve("a"), 3, (short) 1);
    props.put(FinchstreamConfig.SNAPSHOT_INTERVAL_TOKENS_CONFIG, 50);
    final DirectEngine[] direct = new DirectEngine[4];
    List<Reply> collected;
    try (ReplyCollector replies = new ReplyCollector(cluster.consumerProps());
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(cluster.producerProps())) {
      try (FinchstreamService service =
          new FinchstreamService(new FinchstreamConfig(props), model, new SimpleMeterRegistry())) {
        service.start();
        assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
        final Random random = new Random(5);
        for (int i = 0; i < 4; i++) {
          direct[i] = new DirectEngine(model.model(), model.tokenizer());
        }
        for (int round = 0; round < 10; round++) {
          for (int i = 0; i < 4; i++) {
            final int[] ids = random.ints(5 + random.nextInt(20), 1, 256).toArray();
            send(producer, "conv-" + i, Events.appendTokens(ids));
            direct[i].append(ids);
          }
        }
        send(producer, "conv-0", Events.generateGreedy("g0", 5));
        send(producer, "conv-0", Events.appendTokens(300).toBuilder().setEventId("bad").build());
        replies.awaitFinished(List.of("g0", "bad"), Duration.ofSeconds(60));
        replies.awaitDeadLetters(1, Duration.ofSeconds(30));
        assertThat(replies.deadLetters())
            .singleElement()
            .satisfies(dl -> assertThat(dl.getCode().name()).isEqualTo("TOKEN_OUT_OF_RANGE"));
        final ConversationQueries.Result found = service.queries().find("conv-1");
        assertThat(found).isInstanceOf(ConversationQueries.Found.class);
        assertThat(((ConversationQueries.Found) found).info().tokens())
            .isEqualTo(direct[1].history().length);
        assertThat(((ConversationQueries.Found) found).info().modelId())
            .isEqualTo(model.info().id());
        assertThat(service.queries().find("nobody"))
            .isInstanceOf(ConversationQueries.NotFound.class);
      }
      // A new instance with an empty state directory restores everything from the changelogs.
      props.put(FinchstreamConfig.STATE_DIR_CONFIG, dir.resolve("b").toString());
      try (FinchstreamService service =
          new FinchstreamService(new FinchstreamConfig(props), model, new SimpleMeterRegistry())) {
        service.start();
        assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
        for (int i = 0; i < 4; i++) {
          send(producer, "conv-" + i, Events.appendText(" and more"));
          direct[i].appendText(" and more");
          send(producer, "conv-" + i, Events.generateGreedy("after-" + i, 3));
        }
        replies.awaitFinished(
            List.of("after-0", "after-1", "after-2", "after-3"), Duration.ofSeconds(60));
      }
      collected = replies.replies();
    }
    // The replies say which tokens were generated; the durable state must equal a direct replay.
    direct[0].append(generated(collected, "g0"));
    final ChangelogReader.Contents contents = ChangelogReader.read(cluster.consumerProps(), app);
    for (int i = 0; i < 4; i++) {
      final String conversation = "conv-" + i;
      direct[i].append(generated(collected, "after-" + i));
      final ConversationMeta meta = contents.durable().meta(conversation);
      assertThat(meta.getSnapshotPosition()).isPositive();
      assertThat(meta.getTokens()).isEqualTo(direct[i].history().length);
      assertThat(
              Fingerprint.of(
                  model.model(), contents.durable().rebuild(model.model(), conversation)))
          .isEqualTo(Fingerprint.of(model.model(), direct[i].state()));
    }
  }

  @Test
  void shouldSplitAStateLargerThanAKafkaMessageIntoRecordsUnderTheDefaultLimit() throws Exception {
    // L=8, C=512, head size 64: the recurrent state is 8 x (2 x 512 + 512 x 64) floats = 1.08 MB.
    final LoadedModel model =
        new LoadedModel(
            RandomFinch.model(
                FinchConfig.standard(8, 512, 64, ByteTokenizer.VOCAB_SIZE),
                11,
                LoadOptions.defaults()),
            ByteTokenizer.INSTANCE,
            "random L8 C512");
    assertThat(model.info().recurrentStateBytes()).isGreaterThan(1_048_576);
    final String app = "big-state";
    final Map<String, Object> props =
        ServiceConfigs.forTest(cluster.bootstrapServers(), app, dir.resolve("s"), 3, (short) 1);
    props.put(FinchstreamConfig.SNAPSHOT_INTERVAL_TOKENS_CONFIG, 16);
    final DirectEngine direct = new DirectEngine(model.model(), model.tokenizer());
    try (ReplyCollector replies = new ReplyCollector(cluster.consumerProps());
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(cluster.producerProps());
        FinchstreamService service =
            new FinchstreamService(
                new FinchstreamConfig(props), model, new SimpleMeterRegistry())) {
      service.start();
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      send(producer, "big", Events.appendText("a state bigger than one Kafka message"));
      direct.appendText("a state bigger than one Kafka message");
      send(producer, "big", Events.generateGreedy("done", 1));
      replies.awaitFinished(List.of("done"), Duration.ofMinutes(2));
      direct.append(generated(replies.replies(), "done"));
    }
    final ChangelogReader.Contents contents = ChangelogReader.read(cluster.consumerProps(), app);
    assertThat(contents.largestRecordBytes().get(StoreNames.SNAPSHOTS))
        .isPositive()
        .isLessThan(1_000_000);
    final ConversationMeta meta = contents.durable().meta("big");
    assertThat(meta.getSnapshotParts()).isGreaterThan(1);
    assertThat(Fingerprint.of(model.model(), contents.durable().rebuild(model.model(), "big")))
        .isEqualTo(Fingerprint.of(model.model(), direct.state()));
  }

  @Test
  void shouldRouteQueriesToTheOwnerAndForkAcrossPartitions() throws Exception {
    final LoadedModel model = TestModels.tinyFinch();
    final String app = "iq";
    final Map<String, Object> a =
        ServiceConfigs.forTest(cluster.bootstrapServers(), app, dir.resolve("a"), 4, (short) 1);
    a.put(FinchstreamConfig.APPLICATION_SERVER_CONFIG, "host-a:1001");
    final Map<String, Object> b =
        ServiceConfigs.forTest(cluster.bootstrapServers(), app, dir.resolve("b"), 4, (short) 1);
    b.put(FinchstreamConfig.APPLICATION_SERVER_CONFIG, "host-b:1002");
    final List<String> conversations = IntStream.range(0, 12).mapToObj(i -> "q-" + i).toList();
    try (ReplyCollector replies = new ReplyCollector(cluster.consumerProps());
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(cluster.producerProps());
        FinchstreamService sa =
            new FinchstreamService(new FinchstreamConfig(a), model, new SimpleMeterRegistry());
        FinchstreamService sb =
            new FinchstreamService(new FinchstreamConfig(b), model, new SimpleMeterRegistry())) {
      sa.start();
      sb.start();
      awaitBothRunning(sa, sb);
      for (final String c : conversations) {
        send(producer, c, Events.appendText("conversation " + c));
      }
      // The source of the fork and its target live on different partitions (and maybe instances).
      final String source = conversations.get(0);
      final String target =
          conversations.stream()
              .skip(1)
              .map(c -> c + "-fork")
              .filter(c -> partition(c, 4) != partition(source, 4))
              .findFirst()
              .orElseThrow();
      send(producer, source, Events.fork(target));
      final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      final Map<String, ConversationQueries.Result> answers = new HashMap<>();
      for (final String c : concat(conversations, target)) {
        ConversationQueries.Result fromA;
        ConversationQueries.Result fromB;
        do {
          fromA = sa.queries().find(c);
          fromB = sb.queries().find(c);
          Thread.sleep(
              fromA instanceof ConversationQueries.Found
                      || fromB instanceof ConversationQueries.Found
                  ? 0
                  : 100);
        } while (!(fromA instanceof ConversationQueries.Found
                || fromB instanceof ConversationQueries.Found)
            && System.nanoTime() < deadline);
        // Exactly one instance owns it and answers; the other names the owner's application.server.
        if (fromA instanceof ConversationQueries.Found found) {
          assertThat(fromB).isEqualTo(new ConversationQueries.Remote(new HostInfo("host-a", 1001)));
          answers.put(c, found);
        } else {
          assertThat(fromB).isInstanceOf(ConversationQueries.Found.class);
          assertThat(fromA).isEqualTo(new ConversationQueries.Remote(new HostInfo("host-b", 1002)));
          answers.put(c, fromB);
        }
      }
      final ConversationQueries.Found forked = (ConversationQueries.Found) answers.get(target);
      assertThat(forked.info().forkedFrom()).isEqualTo(source);
      assertThat(forked.info().tokens()).isEqualTo(("conversation " + source).length());
      assertThat(answers.values())
          .map(r -> ((ConversationQueries.Found) r).info().modelId())
          .containsOnly(model.info().id());
      assertThat(replies.deadLetters()).isEmpty();
    }
  }

  private static List<String> concat(final List<String> list, final String extra) {
    final List<String> all = new ArrayList<>(list);
    all.add(extra);
    return all;
  }

  private static int partition(final String key, final int partitions) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  private static void awaitBothRunning(final FinchstreamService a, final FinchstreamService b)
      throws InterruptedException {
    final long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      if (a.state() == State.RUNNING
          && b.state() == State.RUNNING
          && !a.streams().metadataForLocalThreads().iterator().next().activeTasks().isEmpty()
          && !b.streams().metadataForLocalThreads().iterator().next().activeTasks().isEmpty()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the two instances did not both run tasks");
  }

  private static int[] generated(final List<Reply> replies, final String requestId) {
    return replies.stream()
        .filter(r -> r.getRequestId().equals(requestId) && r.hasChunk())
        .flatMap(r -> r.getChunk().getTokenIdsList().stream())
        .mapToInt(Integer::intValue)
        .toArray();
  }

  private void send(
      final KafkaProducer<byte[], byte[]> producer,
      final String conversation,
      final ConversationEvent event)
      throws Exception {
    producer
        .send(
            new ProducerRecord<>(
                Topics.EVENTS, conversation.getBytes(StandardCharsets.UTF_8), event.toByteArray()))
        .get();
  }
}
