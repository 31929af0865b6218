package io.finchstream.processors.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.processors.ConversationPartitioner;
import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.TopicAdmin;
import io.finchstream.processors.event.EventValidator;
import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.Role;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exactly-once scenario, against any cluster: two service instances in child JVMs share the
 * work; one is killed with SIGKILL while generations run, the other takes over, and a third joins
 * later (another rebalance). Then every Generate must have exactly one complete reply whose tokens
 * equal a direct engine run, and every conversation's durable state (read back from the changelog
 * topics) must equal a direct replay of its events, bit for bit.
 */
public final class CrashScenario {

  private static final Logger LOG = LoggerFactory.getLogger(CrashScenario.class);
  private static final String APP = "eos-crash";
  private static final int CONVERSATIONS = 12;
  private static final String MODEL = "random";

  /** Child JVM logs, kept after the test (module's target directory). */
  private static final Path LOGS = Path.of("target", "child-logs");

  private final String bootstrap;
  private final short replication;
  private final Properties producerProps;
  private final Properties consumerProps;
  private final Path work;

  private final Map<String, Object> settings = new HashMap<>();

  /** Extra settings of every instance. */
  public CrashScenario with(final String key, final Object value) {
    settings.put(key, value);
    return this;
  }

  public CrashScenario(
      final String bootstrap,
      final short replication,
      final Properties producerProps,
      final Properties consumerProps,
      final Path work) {
    this.bootstrap = bootstrap;
    this.replication = replication;
    this.producerProps = producerProps;
    this.consumerProps = consumerProps;
    this.work = work;
  }

  /** One event of a script: the conversation it goes to (the script's own, or its branch). */
  private record Step(String key, ConversationEvent event) {}

  /** Waves of a script: wave w of every conversation is sent together. */
  private static final int WAVES = 10;

  /**
   * Conversation {@code c}'s script, one step per wave: a chat, a rewind that drops a reply, a fork
   * at a turn into a branch of its tree ({@code c~b}) which goes on on its own, and more chat.
   *
   * <p>Every Generate bars end of text (token 0) with {@code logit_bias} (see {@link
   * #runsToMaxTokens}): the random model can draw it at any point, and replies that end early leave
   * no generation in progress at the kill point. The direct runs that {@link #verify} compares
   * against take their sampling from the same Generates, bias included, so the comparison stays
   * exact.
   */
  private static List<Step> script(final String c, final int i) {
    final Random random = new Random(1000 + i);
    final String branch = c + "~b";
    return List.of(
        new Step(c, Events.appendText("Tell me about the number " + i, Role.ROLE_USER)),
        new Step(
            c,
            runsToMaxTokens(
                Events.generate(
                    Generate.newBuilder()
                        .setRequestId("c" + i + "-g1")
                        .setMaxTokens(300 + 10 * i)
                        .setPrefixText("Assistant:")
                        .setSampling(
                            io.finchstream.proto.v1.SamplingParams.newBuilder()
                                .setTemperature(1f)
                                .setTopP(0.95f))
                        .build()))),
        new Step(c, Events.appendText("And then?", Role.ROLE_USER)),
        new Step(c, runsToMaxTokens(Events.generateGreedy("c" + i + "-g2", 200))),
        new Step(c, Events.rewind(3)), // drops the second reply
        new Step(c, Events.forkAt(branch, 2)), // a branch after the first reply
        new Step(branch, Events.appendTokens(random.ints(40, 1, 256).toArray())),
        new Step(branch, runsToMaxTokens(Events.generateSampled("c" + i + "-g3", 150, 77 + i))),
        new Step(c, Events.appendText("Once more.", Role.ROLE_USER)),
        new Step(c, runsToMaxTokens(Events.generateGreedy("c" + i + "-g4", 100))));
  }

  /**
   * {@code generate} with end of text (token 0) barred ({@code logit_bias} -100): the reply runs to
   * its {@code max_tokens}, whatever the random model draws.
   */
  private static ConversationEvent runsToMaxTokens(final ConversationEvent generate) {
    final Generate g = generate.getGenerate();
    return Events.generate(
        g.toBuilder().setSampling(g.getSampling().toBuilder().putLogitBias(0, -100f)).build());
  }

  /** Runs the scenario; fails with an assertion error if exactly-once is violated. */
  @SuppressWarnings("try") // instance c only has to run, so its try block never names it
  public void run() throws Exception {
    final Properties admin = new Properties();
    admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin client = Admin.create(admin)) {
      TopicAdmin.ensureTopics(client, 6, replication);
    }
    final Map<String, List<Step>> scripts = new LinkedHashMap<>();
    for (int i = 0; i < CONVERSATIONS; i++) {
      final String c = String.format("conv-%02d", i);
      scripts.put(c, script(c, i));
    }
    final Set<String> requests =
        scripts.values().stream()
            .flatMap(List::stream)
            .map(Step::event)
            .filter(ConversationEvent::hasGenerate)
            .map(e -> e.getGenerate().getRequestId())
            .collect(Collectors.toSet());
    final Properties producing = new Properties();
    producing.putAll(producerProps);
    producing.putAll(ConversationPartitioner.PRODUCER_SETTING); // branches go with their root
    try (ReplyCollector replies = new ReplyCollector(consumerProps);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producing);
        ChildService a = ChildService.start("a", instance("a"), MODEL, LOGS);
        ChildService b = ChildService.start("b", instance("b"), MODEL, LOGS)) {
      a.awaitRunning(Duration.ofMinutes(2));
      b.awaitRunning(Duration.ofMinutes(2));
      awaitSplit(a, b);
      sendWave(producer, scripts, 0);
      sendWave(producer, scripts, 1);
      // Kill a while one of its own conversations is in the middle of a generation.
      final Set<Integer> victims = a.partitions();
      final Set<String> onVictim =
          scripts.keySet().stream()
              .filter(c -> victims.contains(partition(c)))
              .collect(Collectors.toSet());
      assertThat(onVictim).as("conversations on instance a (partitions %s)", victims).isNotEmpty();
      replies.awaitCondition(
          rs ->
              rs.stream()
                  .anyMatch(
                      r ->
                          r.hasChunk()
                              && onVictim.contains(r.getConversationId())
                              && rs.stream()
                                  .noneMatch(
                                      d ->
                                          d.hasDone()
                                              && d.getRequestId().equals(r.getRequestId()))),
          Duration.ofMinutes(2),
          () -> "no generation of instance a started");
      final List<String> midway =
          replies.replies().stream()
              .filter(r -> r.hasChunk() && onVictim.contains(r.getConversationId()))
              .map(Reply::getRequestId)
              .distinct()
              .filter(id -> replies.replies(id).stream().noneMatch(Reply::hasDone))
              .toList();
      LOG.info(
          "killing instance a (SIGKILL; partitions {}) in the middle of generations {}",
          victims,
          midway);
      final long killedAt = System.nanoTime();
      a.kill();
      // A new instance joins while b takes over: tasks move again, mid-stream.
      try (ChildService c = ChildService.start("c", instance("c"), MODEL, LOGS)) {
        for (int wave = 2; wave < WAVES; wave++) {
          Thread.sleep(500);
          sendWave(producer, scripts, wave);
        }
        replies.awaitCondition(
            rs ->
                midway.stream()
                    .allMatch(
                        id ->
                            rs.stream().anyMatch(r -> r.hasDone() && r.getRequestId().equals(id))),
            Duration.ofMinutes(2),
            () -> "the generations interrupted by the crash did not finish");
        LOG.info(
            "the generations interrupted by the crash finished {} s after the kill",
            (System.nanoTime() - killedAt) / 1e9);
        replies.awaitFinished(requests, Duration.ofMinutes(4));
      }
      final long verifyStart = System.nanoTime();
      verify(scripts, replies);
      LOG.info("verified in {} s", (System.nanoTime() - verifyStart) / 1e9);
    }
  }

  /**
   * The restart scenario: one instance, killed with SIGKILL while generations run and started again
   * on the same state directory (as {@code finchstream up} after a crash). Besides exactly-once,
   * the restarted instance must keep its local state (transactional state stores): it restores from
   * the changelogs less than {@code maxRestoredShare} of the records they hold.
   *
   * @return the records restored after the restart and the committed records in the changelogs when
   *     it was killed (what a full restore replays)
   */
  public long[] runRestartInPlace(final double maxRestoredShare) throws Exception {
    final Properties admin = new Properties();
    admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin client = Admin.create(admin)) {
      TopicAdmin.ensureTopics(client, 6, replication);
    }
    final Map<String, List<Step>> scripts = new LinkedHashMap<>();
    for (int i = 0; i < CONVERSATIONS; i++) {
      final String c = String.format("conv-%02d", i);
      scripts.put(c, script(c, i));
    }
    final Set<String> requests =
        scripts.values().stream()
            .flatMap(List::stream)
            .map(Step::event)
            .filter(ConversationEvent::hasGenerate)
            .map(e -> e.getGenerate().getRequestId())
            .collect(Collectors.toSet());
    final long restored;
    final long changelogRecords;
    final Properties producing = new Properties();
    producing.putAll(producerProps);
    producing.putAll(ConversationPartitioner.PRODUCER_SETTING); // branches go with their root
    try (ReplyCollector replies = new ReplyCollector(consumerProps);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producing)) {
      try (ChildService a = ChildService.start("solo", solo(), MODEL, LOGS)) {
        a.awaitRunning(Duration.ofMinutes(4));
        sendWave(producer, scripts, 0);
        sendWave(producer, scripts, 1);
        sendWave(producer, scripts, 2);
        sendWave(producer, scripts, 3);
        // Let it build up state (snapshots, logs, finished generations), then kill it mid-stream.
        replies.awaitCondition(
            rs -> rs.stream().filter(Reply::hasDone).count() >= CONVERSATIONS,
            Duration.ofMinutes(4),
            () -> "the first generations did not finish");
        replies.awaitCondition(
            rs ->
                rs.stream()
                    .anyMatch(
                        r ->
                            r.hasChunk()
                                && rs.stream()
                                    .noneMatch(
                                        d ->
                                            d.hasDone()
                                                && d.getRequestId().equals(r.getRequestId()))),
            Duration.ofMinutes(2),
            () -> "no generation in progress to interrupt");
        LOG.info("killing the only instance (SIGKILL) in the middle of generations");
        a.kill();
      }
      changelogRecords = ChangelogReader.read(consumerProps, APP).records();
      final long restart = System.nanoTime();
      try (ChildService again = ChildService.start("solo-again", solo(), MODEL, LOGS)) {
        again.awaitRunning(Duration.ofMinutes(4));
        LOG.info(
            "restarted: RUNNING {} s after the start of its JVM",
            (System.nanoTime() - restart) / 1e9);
        // The rest of every script, up to its last wave: the fork into the branch, the branch's
        // own generation and the last chat turn all happen on the restarted instance. (The loop
        // once stopped at wave 6, from when scripts had six steps; the Generates of waves 7 and 9
        // were then never sent and the test waited for them in vain.)
        for (int wave = 4; wave < WAVES; wave++) {
          sendWave(producer, scripts, wave);
        }
        replies.awaitFinished(requests, Duration.ofMinutes(5));
        restored = again.restoredRecords();
      }
      LOG.info(
          "after the restart {} changelog records were restored, of {} in the changelogs",
          restored,
          changelogRecords);
      verify(scripts, replies);
    }
    assertThat((double) restored)
        .as(
            "records restored after the restart (of %d in the changelogs): local state kept",
            changelogRecords)
        .isLessThan(maxRestoredShare * changelogRecords);
    return new long[] {restored, changelogRecords};
  }

  /** The only instance: no standby replicas (nowhere to put them). */
  private Map<String, Object> solo() {
    final Map<String, Object> props = instance("solo");
    props.put(FinchstreamConfig.STANDBY_REPLICAS_CONFIG, 0);
    return props;
  }

  private Map<String, Object> instance(final String name) {
    final Map<String, Object> props =
        ServiceConfigs.forTest(bootstrap, APP, work.resolve("state-" + name), 6, replication);
    props.put(FinchstreamConfig.SNAPSHOT_INTERVAL_TOKENS_CONFIG, 64);
    // Short compute rounds and decode cycles: a generation spans many punctuations and commits, so
    // a kill lands inside one. (With the default 200 ms cycles a fast machine decodes a whole reply
    // of the small random model in one cycle, so its chunk and its end commit together and no
    // generation is ever seen in progress.)
    props.put(FinchstreamConfig.COMPUTE_BUDGET_MS_CONFIG, 2L);
    props.put(FinchstreamConfig.DECODE_CYCLE_MS_CONFIG, 2L);
    props.put(FinchstreamConfig.CREATE_TOPICS_CONFIG, false);
    props.putAll(settings);
    return props;
  }

  /** Waits until the two instances share all six tasks (the group has settled). */
  private static void awaitSplit(final ChildService a, final ChildService b)
      throws InterruptedException {
    final long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (a.partitions().isEmpty()
        || b.partitions().isEmpty()
        || a.partitions().size() + b.partitions().size() != 6) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "tasks not split between a " + a.partitions() + " and b " + b.partitions());
      }
      Thread.sleep(100);
    }
  }

  /** The input partition of a conversation (the producer's default partitioner). */
  private static int partition(final String conversation) {
    return Utils.toPositive(Utils.murmur2(conversation.getBytes(StandardCharsets.UTF_8))) % 6;
  }

  /** Sends event {@code wave} of every script; returns once the broker has them all. */
  private static void sendWave(
      final KafkaProducer<byte[], byte[]> producer,
      final Map<String, List<Step>> scripts,
      final int wave)
      throws InterruptedException, ExecutionException {
    final List<Future<RecordMetadata>> sent = new ArrayList<>();
    for (final List<Step> steps : scripts.values()) {
      sent.add(
          producer.send(
              new ProducerRecord<>(
                  Topics.EVENTS,
                  steps.get(wave).key().getBytes(StandardCharsets.UTF_8),
                  steps.get(wave).event().toByteArray())));
    }
    producer.flush();
    for (final Future<RecordMetadata> f : sent) {
      f.get();
    }
  }

  private void verify(final Map<String, List<Step>> scripts, final ReplyCollector replies) {
    final long t0 = System.nanoTime();
    final LoadedModel model = TestModels.byName(MODEL);
    final long t1 = System.nanoTime();
    assertThat(replies.deadLetters()).as("dead letters").isEmpty();
    final ChangelogReader.Contents contents = ChangelogReader.read(consumerProps, APP);
    LOG.info(
        "model loaded in {} s, changelogs read in {} s",
        (t1 - t0) / 1e9,
        (System.nanoTime() - t1) / 1e9);
    for (final Map.Entry<String, List<Step>> e : scripts.entrySet()) {
      // each conversation's own steps first (a fork records the branch's start), then the
      // branch's: the branch's events wait for the fork, whatever the order they arrived in
      final Map<String, Transcript> transcripts = new LinkedHashMap<>();
      transcripts.put(e.getKey(), new Transcript());
      final List<Step> ordered = new ArrayList<>();
      e.getValue().stream().filter(st -> st.key().equals(e.getKey())).forEach(ordered::add);
      e.getValue().stream().filter(st -> !st.key().equals(e.getKey())).forEach(ordered::add);
      for (final Step step : ordered) {
        final ConversationEvent event = step.event();
        final Transcript t = transcripts.get(step.key());
        final Transcript next =
            switch (event.getEventCase()) {
              case APPEND_TEXT ->
                  t.text(
                      model.tokenizer(),
                      event.getAppendText().getRole(),
                      event.getAppendText().getText());
              case APPEND_TOKENS ->
                  t.tokens(
                      event.getAppendTokens().getIdsList().stream()
                          .mapToInt(Integer::intValue)
                          .toArray());
              case GENERATE ->
                  checkGeneration(
                      model,
                      t,
                      event.getGenerate(),
                      replies.replies(event.getGenerate().getRequestId()));
              case REWIND -> t.first((int) event.getRewind().getToMessage());
              case FORK -> {
                transcripts.put(
                    event.getFork().getNewConversationId(),
                    t.first((int) event.getFork().getAtMessage()));
                yield t;
              }
              default -> throw new AssertionError("unexpected event in script " + event);
            };
        transcripts.put(step.key(), next);
      }
      for (final Map.Entry<String, Transcript> x : transcripts.entrySet()) {
        final Transcript t = x.getValue();
        final ConversationMeta meta = contents.durable().meta(x.getKey());
        assertThat(meta).as("metadata of %s", x.getKey()).isNotNull();
        assertThat(meta.getTokens()).as("tokens of %s", x.getKey()).isEqualTo(t.position(t.size()));
        assertThat(meta.getMessages()).as("messages of %s", x.getKey()).isEqualTo(t.size());
        assertThat(meta.getMessageDigest()).as("digest of %s", x.getKey()).isEqualTo(t.digest());
        assertThat(
                Fingerprint.of(
                    model.model(), contents.durable().rebuild(model.model(), x.getKey())))
            .as("durable state of %s", x.getKey())
            .isEqualTo(
                Fingerprint.of(model.model(), t.replay(model.model(), model.tokenizer()).state()));
      }
    }
  }

  /** Checks a generation against a direct run from {@code t}; returns {@code t} with its reply. */
  private static Transcript checkGeneration(
      final LoadedModel model, final Transcript t, final Generate g, final List<Reply> replies) {
    final String id = g.getRequestId();
    final DirectEngine direct = t.replay(model.model(), model.tokenizer());
    final int[] prefix = model.tokenizer().encode(g.getPrefixText());
    if (prefix.length > 0) {
      direct.append(prefix);
    }
    final long seed =
        g.getSampling().hasSeed() ? g.getSampling().getSeed() : EventValidator.seedOf(id);
    final SamplingParams params = EventValidator.samplingParams(g, g.getMaxTokens(), seed).build();
    final DirectEngine.Generation expected = direct.generate(params);
    assertThat(replies.stream().filter(Reply::hasError)).as("errors of %s", id).isEmpty();
    final List<GenerationDone> done =
        replies.stream().filter(Reply::hasDone).map(Reply::getDone).toList();
    assertThat(done).as("GenerationDone of %s", id).hasSize(1);
    assertThat(replies.get(replies.size() - 1).hasDone())
        .as("%s ends with its GenerationDone", id)
        .isTrue();
    final List<Integer> indices = new ArrayList<>();
    final List<Integer> tokens = new ArrayList<>();
    for (final Reply r : replies) {
      if (r.hasChunk()) {
        indices.add(r.getChunk().getIndex());
        tokens.addAll(r.getChunk().getTokenIdsList());
      }
    }
    for (int i = 0; i < indices.size(); i++) {
      assertThat(indices.get(i)).as("chunk %d of %s", i, id).isEqualTo(i);
    }
    assertThat(tokens.stream().mapToInt(Integer::intValue).toArray())
        .as("tokens of %s", id)
        .containsExactly(expected.tokens());
    assertThat(done.get(0).getText()).as("text of %s", id).isEqualTo(expected.text());
    assertThat(done.get(0).getFinishReason())
        .as("finish reason of %s", id)
        .isEqualTo(expected.reason());
    return t.reply(prefix, expected.tokens(), expected.text());
  }
}
