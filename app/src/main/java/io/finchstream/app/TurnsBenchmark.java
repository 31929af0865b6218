package io.finchstream.app;

import io.finchstream.processors.ConversationQueries;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.StoreNames;
import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.AppendTokens;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.Fork;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.Rewind;
import io.finchstream.proto.v1.SamplingParams;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Issue 10 item 8: a conversation of many turns can go back to a turn in O(tokens since the nearest
 * snapshot). Through real Kafka (embedded broker, exactly-once): a chat of {@code turns} turns (a
 * user message and a reply of {@code messageTokens} raw tokens each, the last reply generated) is
 * built; then, {@code repeats} times each, (1) its last reply is regenerated (Rewind to before it +
 * Generate) and (2) a new conversation ingests the whole history and generates, both with the same
 * reply length; (3) branches go back 1..50 turns (Fork at the turn + a 1-token Generate) and report
 * the tokens they had to replay; and the storage the conversation keeps (every store record) and
 * writes per turn under the retention policy in effect.
 */
final class TurnsBenchmark {

  /** Time to the first token and to the end of a generation, and the tokens computed for it. */
  record Timing(double firstTokenMs, double doneMs, double computedTokens) {}

  /** Going back {@code turnsBack} turns ({@code tokensBack} tokens): what it took. */
  record Back(int turnsBack, long tokensBack, Timing timing) {}

  /** What a run measured. */
  record Result(
      long historyTokens,
      double writtenBytesPerTurn,
      double interactiveBytesPerTurn,
      long retainedBytes,
      int snapshots,
      long firstMessage,
      long logTokens,
      Timing regenerate,
      Timing fullIngest,
      List<Back> rewinds) {}

  /** Turns of the interactive chat (each message computed before the next). */
  private static final int INTERACTIVE_TURNS = 8;

  private final LoadedModel model;
  private final int turns;
  private final int messageTokens;
  private final int replyTokens;
  private final int repeats;
  private final Map<String, Object> settings;
  private final Map<String, long[]> replyTimes = new ConcurrentHashMap<>();
  private volatile boolean listening = true;

  TurnsBenchmark(
      final LoadedModel model,
      final int turns,
      final int messageTokens,
      final int replyTokens,
      final int repeats,
      final Map<String, Object> settings) {
    this.model = model;
    this.turns = turns;
    this.messageTokens = messageTokens;
    this.replyTokens = replyTokens;
    this.repeats = repeats;
    this.settings = settings;
  }

  Result run(final int[] turnsBack, final Consumer<String> progress) throws Exception {
    try (BenchCluster cluster = new BenchCluster(model, settings)) {
      final Thread listener = listen(cluster.bootstrapServers());
      try {
        return measure(cluster, turnsBack, progress);
      } finally {
        listening = false;
        listener.join(5_000);
      }
    }
  }

  private Result measure(
      final BenchCluster cluster, final int[] turnsBack, final Consumer<String> progress)
      throws Exception {
    final Random random = new Random(1);
    final String chat = "turns";
    final List<int[]> history = new ArrayList<>();
    final double bytes0 = cluster.storeBytes();
    for (int t = 0; t < turns; t++) {
      history.add(tokens(random));
      cluster.send(chat, append(history.get(history.size() - 1)));
      if (t < turns - 1) {
        history.add(tokens(random));
        cluster.send(chat, append(history.get(history.size() - 1)));
      }
      if (t % 20 == 19) {
        progress.accept("built " + (t + 1) + " of " + turns + " turns");
      }
    }
    generate(cluster, chat, "build-reply", replyTokens);
    final ConversationMeta built = settled(cluster, chat, 2L * turns);
    final double writtenPerTurn = (cluster.storeBytes() - bytes0) / turns;
    final long retained = retainedBytes(cluster);
    progress.accept("built: " + built.getTokens() + " tokens, " + retained + " bytes kept");

    // a chat as people have it: each message is computed before the next one comes
    final String live = "interactive";
    cluster.send(live, append(history.get(0)));
    settled(cluster, live, 1);
    final double bytes1 = cluster.storeBytes();
    for (int t = 0; t < INTERACTIVE_TURNS; t++) {
      cluster.send(live, append(tokens(random)));
      cluster.flush();
      settled(cluster, live, 2L + 2L * t);
      cluster.send(live, append(tokens(random)));
      cluster.flush();
      settled(cluster, live, 3L + 2L * t);
    }
    final double interactivePerTurn = (cluster.storeBytes() - bytes1) / INTERACTIVE_TURNS;

    final List<Timing> regenerate = new ArrayList<>();
    final List<Timing> full = new ArrayList<>();
    final int[] withoutReply =
        history.stream().flatMapToInt(Arrays::stream).toArray(); // every message but the reply
    for (int r = 0; r < repeats; r++) {
      final long t0 = System.nanoTime();
      cluster.send(chat, rewind(2L * turns - 1));
      regenerate.add(generate(cluster, chat, "regenerate-" + r, replyTokens, t0));
      settled(cluster, chat, 2L * turns);
      final String fresh = "full-" + r;
      final long t1 = System.nanoTime();
      cluster.send(fresh, append(withoutReply));
      full.add(generate(cluster, fresh, "full-" + r, replyTokens, t1));
      progress.accept("repeat " + (r + 1) + " of " + repeats + ": regenerate and full ingest");
    }

    final List<Back> rewinds = new ArrayList<>();
    for (final int back : turnsBack) {
      final long at = 2L * turns - 2L * back;
      if (at < built.getFirstMessage() + 1) {
        progress.accept(back + " turns back is no longer retained; skipped");
        continue;
      }
      final List<Timing> samples = new ArrayList<>();
      for (int r = 0; r < repeats; r++) {
        final String branch = chat + "~back" + back + "-" + r;
        final double computed0 = cluster.counter("finchstream.tokens.computed");
        final long t0 = System.nanoTime();
        cluster.send(chat, fork(branch, at));
        final Timing g = generate(cluster, branch, "back" + back + "-" + r, 1, t0);
        samples.add(
            new Timing(
                g.firstTokenMs(),
                g.doneMs(),
                cluster.counter("finchstream.tokens.computed") - computed0));
      }
      final long tokensBack = (long) back * 2 * messageTokens - messageTokens + replyTokens;
      rewinds.add(new Back(back, tokensBack, median(samples)));
      progress.accept(back + " turns back: done");
    }
    final ConversationMeta meta =
        cluster.service.queries().find(chat) instanceof ConversationQueries.Found f
            ? f.meta()
            : built;
    return new Result(
        built.getTokens(),
        writtenPerTurn,
        interactivePerTurn,
        retained,
        meta.getSnapshotsCount(),
        meta.getFirstMessage(),
        meta.getTokens() - meta.getLogStart(),
        median(regenerate),
        median(full),
        rewinds);
  }

  private int[] tokens(final Random random) {
    return IntStream.range(0, messageTokens)
        .map(i -> 1 + random.nextInt(model.info().vocabSize() - 1))
        .toArray();
  }

  private static ConversationEvent append(final int[] ids) {
    final AppendTokens.Builder b = AppendTokens.newBuilder();
    for (final int id : ids) {
      b.addIds(id);
    }
    return ConversationEvent.newBuilder().setSchemaVersion(1).setAppendTokens(b).build();
  }

  private static ConversationEvent rewind(final long toMessage) {
    return ConversationEvent.newBuilder()
        .setSchemaVersion(1)
        .setRewind(Rewind.newBuilder().setToMessage(toMessage))
        .build();
  }

  private static ConversationEvent fork(final String target, final long atMessage) {
    return ConversationEvent.newBuilder()
        .setSchemaVersion(1)
        .setFork(Fork.newBuilder().setNewConversationId(target).setAtMessage(atMessage))
        .build();
  }

  private Timing generate(
      final BenchCluster cluster, final String conversation, final String id, final int max)
      throws InterruptedException {
    return generate(cluster, conversation, id, max, System.nanoTime());
  }

  /** A greedy generation of exactly {@code max} tokens (no stop token), timed from {@code t0}. */
  private Timing generate(
      final BenchCluster cluster,
      final String conversation,
      final String id,
      final int max,
      final long t0)
      throws InterruptedException {
    final double computed0 = cluster.counter("finchstream.tokens.computed");
    cluster.send(
        conversation,
        ConversationEvent.newBuilder()
            .setSchemaVersion(1)
            .setGenerate(
                Generate.newBuilder()
                    .setRequestId(id)
                    .setMaxTokens(max)
                    .setSampling(SamplingParams.newBuilder().setTemperature(0f)))
            .build());
    cluster.flush();
    final long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    long[] times;
    while ((times = replyTimes.get(id)) == null || times[1] == 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("generation " + id + " did not finish in 10 minutes");
      }
      Thread.sleep(1);
    }
    return new Timing(
        (times[0] - t0) / 1e6,
        (times[1] - t0) / 1e6,
        cluster.counter("finchstream.tokens.computed") - computed0);
  }

  /** Waits until {@code conversation} has {@code messages} and a snapshot at its end. */
  private static ConversationMeta settled(
      final BenchCluster cluster, final String conversation, final long messages)
      throws InterruptedException {
    final long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (System.nanoTime() < deadline) {
      if (cluster.service.queries().find(conversation) instanceof ConversationQueries.Found f
          && f.meta().getMessages() == messages
          && !f.info().generating()
          && f.meta().getSnapshotPosition() == f.meta().getTokens()) {
        return f.meta();
      }
      Thread.sleep(5);
    }
    throw new IllegalStateException(conversation + " did not settle in 10 minutes");
  }

  /** Bytes of every record of every store (one conversation lives in them). */
  private static long retainedBytes(final BenchCluster cluster) {
    long total = 0;
    for (final String name : StoreNames.ALL) {
      final ReadOnlyKeyValueStore<Bytes, byte[]> store =
          cluster
              .service
              .streams()
              .store(
                  StoreQueryParameters.fromNameAndType(
                      name, QueryableStoreTypes.<Bytes, byte[]>keyValueStore()));
      try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
        while (it.hasNext()) {
          final KeyValue<Bytes, byte[]> kv = it.next();
          total += kv.key.get().length + (kv.value == null ? 0 : kv.value.length);
        }
      }
    }
    return total;
  }

  /** Records when each generation's first chunk and done arrive (nanoTime), by request id. */
  private Thread listen(final String bootstrap) throws InterruptedException {
    final Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5);
    final KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p);
    final List<TopicPartition> partitions =
        consumer.partitionsFor(Topics.REPLIES, Duration.ofSeconds(30)).stream()
            .map(i -> new TopicPartition(i.topic(), i.partition()))
            .toList();
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position);
    final Thread t =
        new Thread(
            () -> {
              try (consumer) {
                while (listening) {
                  for (final ConsumerRecord<byte[], byte[]> r :
                      consumer.poll(Duration.ofMillis(20))) {
                    onReply(r.value());
                  }
                }
              }
            },
            "bench-turns-replies");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private void onReply(final byte[] value) {
    final Reply reply;
    try {
      reply = Reply.parseFrom(value);
    } catch (final Exception e) {
      return;
    }
    final long now = System.nanoTime();
    final long[] times = replyTimes.computeIfAbsent(reply.getRequestId(), k -> new long[2]);
    if (times[0] == 0 && (reply.hasChunk() || reply.hasDone())) {
      times[0] = now;
    }
    if (reply.hasDone() || reply.hasError()) {
      times[1] = now;
    }
  }

  private static Timing median(final List<Timing> samples) {
    final double[] first = samples.stream().mapToDouble(Timing::firstTokenMs).sorted().toArray();
    final double[] done = samples.stream().mapToDouble(Timing::doneMs).sorted().toArray();
    final double[] computed =
        samples.stream().mapToDouble(Timing::computedTokens).sorted().toArray();
    return new Timing(
        first[first.length / 2], done[done.length / 2], computed[computed.length / 2]);
  }
}
