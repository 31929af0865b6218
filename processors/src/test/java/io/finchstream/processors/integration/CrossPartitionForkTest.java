package io.finchstream.processors.integration;

import static org.assertj.core.api.Assertions.assertThat;

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
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.ReserveFork;
import io.finchstream.proto.v1.SamplingParams;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fork into another partition on a real (in-JVM) Kafka, raced by the new id's next event
 * (reliability audit S1-1): the source is generating a long reply when the Fork comes, so the Fork
 * waits, while the client's next message to the new id, written right after the fork was accepted,
 * reaches the new id's owner at once.
 */
class CrossPartitionForkTest {

  private static final int PARTITIONS = 4;
  private static final String SOURCE = "src";
  private static final String SOURCE_TEXT = "the secret is 42. ";
  private static final String NEXT = "next";
  private static final int REPLY_TOKENS = 3000;

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

  /**
   * What the gateway wrote before reservations (a Fork alone): the new id's next message creates
   * it, and the transfer that comes after the reply is dead-lettered; the new id lacks the source's
   * history. This is the defect the reservation removes.
   */
  @Test
  void withoutAReservationTheNewIdsFirstEventWinsAndTheForkIsDropped() throws Exception {
    final LoadedModel model = TestModels.tinyFinch();
    final String target = targetOnAnotherPartition();
    try (ReplyCollector replies = new ReplyCollector(cluster.consumerProps());
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(cluster.producerProps());
        FinchstreamService service = start(model, "unreserved", dir.resolve("u"))) {
      send(producer, SOURCE, Events.appendText(SOURCE_TEXT));
      send(producer, SOURCE, Events.generate(longReply("g", REPLY_TOKENS)));
      send(producer, SOURCE, Events.fork(target).toBuilder().setEventId("fork-1").build());
      send(producer, target, Events.appendText(NEXT));
      replies.awaitFinished(List.of("g", "fork-1"), Duration.ofMinutes(2));
      assertThat(replies.replies("fork-1"))
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.getError().getCode()).isEqualTo(ErrorCode.CONVERSATION_EXISTS);
                assertThat(r.getReplyTo()).isEmpty(); // nobody receives it
              });
      final ConversationQueries.Found found =
          (ConversationQueries.Found) service.queries().find(target);
      assertThat(found.info().tokens()).isEqualTo(NEXT.length());
      assertThat(found.info().forkedFrom()).isEmpty();
    }
  }

  /**
   * With the reservation the gateway now writes after the Fork, the next message waits for the
   * fork: the new id holds the source's history (its text and the whole reply) and then the
   * message, bit for bit, and nothing is dead-lettered. The instance is stopped while the reply is
   * still being generated and a new one with an empty state directory takes over: the hold is
   * durable (restored from its changelog) like the events waiting behind it.
   */
  @Test
  void aReservedForkComesBeforeTheNewIdsNextEventAcrossARestart() throws Exception {
    final LoadedModel model = TestModels.tinyFinch();
    final String target = targetOnAnotherPartition();
    final String app = "reserved";
    List<Reply> collected;
    final FinchstreamService first = start(model, app, dir.resolve("a"));
    // the topics exist now: the collector sees every reply
    try (ReplyCollector replies = new ReplyCollector(cluster.consumerProps());
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(cluster.producerProps())) {
      try (FinchstreamService service = first) {
        send(producer, SOURCE, Events.appendText(SOURCE_TEXT));
        send(producer, SOURCE, Events.generate(longReply("g", REPLY_TOKENS)));
        forkReserved(producer, SOURCE, target, "fork-1");
        send(producer, target, Events.appendText(NEXT));
        awaitTokensAtLeast(service, SOURCE, SOURCE_TEXT.length() + 20); // the reply runs
        Thread.sleep(300); // the reservation and the next message are stored (EOS commits)
        assertThat(service.queries().find(target)).isInstanceOf(ConversationQueries.NotFound.class);
        assertThat(replies.replies("g")).noneMatch(r -> r.hasDone() || r.hasError());
      }
      try (FinchstreamService service = start(model, app, dir.resolve("b"))) {
        replies.awaitFinished(List.of("g"), Duration.ofMinutes(2));
        // The whole new id: the fork is installed first, and the message that waited behind the
        // reservation is applied at the target's next punctuation. Waiting only for the fork
        // (a lower count) let the service close in between on a slow machine: the message was
        // then still in the target's queue and the changelog held 4 tokens fewer.
        awaitTokensAtLeast(
            service,
            target,
            SOURCE_TEXT.length() + generated(replies.replies(), "g").length + NEXT.length());
      }
      collected = replies.replies();
      assertThat(replies.deadLetters()).isEmpty();
    }
    final DirectEngine direct = new DirectEngine(model.model(), model.tokenizer());
    direct.appendText(SOURCE_TEXT).append(generated(collected, "g")).appendText(NEXT);
    assertThat(generated(collected, "g")).hasSize(REPLY_TOKENS);
    final ChangelogReader.Contents contents = ChangelogReader.read(cluster.consumerProps(), app);
    final ConversationMeta meta = contents.durable().meta(target);
    assertThat(meta.getForkedFrom()).isEqualTo(SOURCE);
    assertThat(meta.getTokens()).isEqualTo(direct.history().length);
    assertThat(meta.getMessages()).isEqualTo(3);
    assertThat(Fingerprint.of(model.model(), contents.durable().rebuild(model.model(), target)))
        .isEqualTo(Fingerprint.of(model.model(), direct.state()));
    assertThat(contents.stores().get(StoreNames.FORK_SETTLED).size()).isZero();
  }

  /**
   * A reserved fork the source refuses (it does not exist: deleted in the meantime) releases the
   * new id: the message that waited is applied, the Fork is dead-lettered with an Error reply, and
   * the new id is not held for ever.
   */
  @Test
  void aRefusedForkReleasesItsReservation() throws Exception {
    final LoadedModel model = TestModels.tinyFinch();
    final String target = targetOnAnotherPartition();
    try (ReplyCollector replies = new ReplyCollector(cluster.consumerProps());
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(cluster.producerProps());
        FinchstreamService service = start(model, "refused", dir.resolve("r"))) {
      send(producer, SOURCE, Events.appendText(SOURCE_TEXT));
      send(producer, SOURCE, Events.generate(longReply("g", REPLY_TOKENS)));
      send(producer, SOURCE, Events.delete()); // cancels the reply; the Fork then finds no source
      forkReserved(producer, SOURCE, target, "fork-1");
      send(producer, target, Events.appendText(NEXT));
      replies.awaitFinished(List.of("g", "fork-1"), Duration.ofMinutes(2));
      assertThat(replies.replies("fork-1"))
          .singleElement()
          .satisfies(
              r -> assertThat(r.getError().getCode()).isEqualTo(ErrorCode.UNKNOWN_CONVERSATION));
      awaitTokensAtLeast(service, target, NEXT.length());
      final ConversationQueries.Found found =
          (ConversationQueries.Found) service.queries().find(target);
      assertThat(found.info().tokens()).isEqualTo(NEXT.length());
      assertThat(found.info().forkedFrom()).isEmpty();
    }
  }

  /**
   * The reservation is written after the Fork, so the fork may settle first (an idle source): the
   * transfer leaves a marker, the late reservation holds nothing, and later events are applied at
   * once.
   */
  @Test
  void aReservationThatComesAfterItsForkHoldsNothing() throws Exception {
    final LoadedModel model = TestModels.tinyFinch();
    final String target = targetOnAnotherPartition();
    final String app = "late";
    try (ReplyCollector replies = new ReplyCollector(cluster.consumerProps());
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(cluster.producerProps())) {
      try (FinchstreamService service = start(model, app, dir.resolve("l"))) {
        send(producer, SOURCE, Events.appendText(SOURCE_TEXT));
        send(
            producer,
            SOURCE,
            Events.fork(target).toBuilder()
                .setEventId("fork-1")
                .setFork(Events.fork(target).getFork().toBuilder().setReserved(true))
                .build());
        awaitTokensAtLeast(service, target, SOURCE_TEXT.length());
        send(producer, target, reservation(SOURCE, "fork-1"));
        send(producer, target, Events.appendText(NEXT));
        awaitTokensAtLeast(service, target, SOURCE_TEXT.length() + NEXT.length());
        assertThat(replies.deadLetters()).isEmpty();
      }
    }
    final ChangelogReader.Contents contents = ChangelogReader.read(cluster.consumerProps(), app);
    assertThat(contents.durable().meta(target).getMessages()).isEqualTo(2);
    assertThat(contents.stores().get(StoreNames.FORK_SETTLED).size()).isZero();
    assertThat(contents.stores().get(StoreNames.DEFERRED).size()).isZero();
  }

  private FinchstreamService start(final LoadedModel model, final String app, final Path state)
      throws Exception {
    final Map<String, Object> props =
        ServiceConfigs.forTest(cluster.bootstrapServers(), app, state, PARTITIONS, (short) 1);
    props.put(FinchstreamConfig.SNAPSHOT_INTERVAL_TOKENS_CONFIG, 256);
    final FinchstreamService service =
        new FinchstreamService(new FinchstreamConfig(props), model, new SimpleMeterRegistry());
    service.start();
    assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
    return service;
  }

  /** What the gateway writes for a fork into another tree: the Fork, then the reservation. */
  private static void forkReserved(
      final KafkaProducer<byte[], byte[]> producer,
      final String source,
      final String target,
      final String forkEventId)
      throws Exception {
    final ConversationEvent fork = Events.fork(target);
    send(
        producer,
        source,
        fork.toBuilder()
            .setEventId(forkEventId)
            .setFork(fork.getFork().toBuilder().setReserved(true))
            .build());
    send(producer, target, reservation(source, forkEventId));
  }

  private static ConversationEvent reservation(final String source, final String forkEventId) {
    return ConversationEvent.newBuilder()
        .setSchemaVersion(1)
        .setEventId("reserve-" + forkEventId)
        .setReserveFork(
            ReserveFork.newBuilder().setSourceConversationId(source).setForkEventId(forkEventId))
        .build();
  }

  private static void awaitTokensAtLeast(
      final FinchstreamService service, final String conversation, final long tokens)
      throws InterruptedException {
    final long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (System.nanoTime() < deadline) {
      if (service.queries().find(conversation) instanceof ConversationQueries.Found f
          && f.info().tokens() >= tokens) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError(conversation + " did not reach " + tokens + " tokens");
  }

  private static String targetOnAnotherPartition() {
    return IntStream.range(0, 100)
        .mapToObj(i -> "dst-" + i)
        .filter(c -> partition(c) != partition(SOURCE))
        .findFirst()
        .orElseThrow();
  }

  private static int partition(final String key) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
  }

  /** A sampled reply that never ends by itself (end of text is biased away): max tokens long. */
  private static Generate longReply(final String requestId, final int maxTokens) {
    return Generate.newBuilder()
        .setRequestId(requestId)
        .setMaxTokens(maxTokens)
        .setSampling(
            SamplingParams.newBuilder().setTemperature(1f).setSeed(7).putLogitBias(0, -100f))
        .build();
  }

  private static int[] generated(final List<Reply> replies, final String requestId) {
    return replies.stream()
        .filter(r -> r.getRequestId().equals(requestId) && r.hasChunk())
        .flatMap(r -> r.getChunk().getTokenIdsList().stream())
        .mapToInt(Integer::intValue)
        .toArray();
  }

  private static void send(
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
