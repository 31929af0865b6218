package io.finchstream.loadtests.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.finchstream.app.Main;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.Models;
import io.finchstream.engine.tokenizer.ByteTokenizer;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.testing.ChangelogReader;
import io.finchstream.processors.testing.KafkaTestCluster;
import io.finchstream.processors.testing.ReplyCollector;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.Reply;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The chaos suite (issue 14, item 7): a whole cluster on this machine, loopback only (in-JVM
 * brokers, {@code finchstream serve} instances as child JVMs), a steady chat load through every
 * gateway, instances killed and restarted and a broker stopped and started at random times; then
 * the {@link Verifier}'s checks and a report (counts, kills, longest unavailability per
 * conversation) on stdout and as JSON. Exit code 0 when every check held. Bounded in time: {@code
 * --duration} of chaos, then at most a few minutes to settle and check.
 */
@Command(
    name = "chaos",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a Finchstream cluster on this machine (loopback only: in-JVM brokers, serve instances",
      "as child JVMs), drives chat load through every gateway while killing and restarting",
      "instances and a broker, then checks that nothing accepted was lost or duplicated, every",
      "reply equals a direct engine run and no client saw a token twice or missed one."
    })
public final class ChaosSuite implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(ChaosSuite.class);

  @Option(
      names = "--duration",
      defaultValue = "600",
      description = "Seconds of load and chaos. Default: ${DEFAULT-VALUE}.")
  int durationSeconds;

  @Option(
      names = "--conversations",
      defaultValue = "12",
      description = "Conversations, each with its own client. Default: ${DEFAULT-VALUE}.")
  int conversations;

  @Option(names = "--instances", defaultValue = "3", description = "Default: ${DEFAULT-VALUE}.")
  int instances;

  @Option(
      names = "--brokers",
      defaultValue = "3",
      description = "1 or 3. Default: ${DEFAULT-VALUE}.")
  int brokers;

  @Option(names = "--partitions", defaultValue = "6", description = "Default: ${DEFAULT-VALUE}.")
  int partitions;

  @Option(
      names = "--kill-every",
      defaultValue = "20-40",
      description = "Seconds between strikes at an instance (MIN-MAX). Default: ${DEFAULT-VALUE}.")
  String killEvery;

  @Option(
      names = "--down-for",
      defaultValue = "5-20",
      description = "Seconds a struck instance stays down (MIN-MAX). Default: ${DEFAULT-VALUE}.")
  String downFor;

  @Option(
      names = "--broker-down-for",
      defaultValue = "10-20",
      description = "Seconds the stopped broker stays down (MIN-MAX). Default: ${DEFAULT-VALUE}.")
  String brokerDownFor;

  @Option(names = "--no-broker-chaos", description = "Never stop a broker.")
  boolean noBrokerChaos;

  @Option(
      names = "--max-tokens",
      defaultValue = "24",
      description = "Largest max_tokens of a reply. Default: ${DEFAULT-VALUE}.")
  int maxTokens;

  @Option(names = "--seed", defaultValue = "1", description = "Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(
      names = "--work",
      defaultValue = "load-tests/target/chaos",
      description =
          "Working directory (emptied first): state, logs, report. Default: ${DEFAULT-VALUE}.")
  Path work;

  @Option(
      names = "--set",
      description = "A setting of every instance (KEY=VALUE), e.g. --set standby.replicas=0.")
  List<String> settings = new ArrayList<>();

  /** What the last run found (for the test that runs the quick variant in-process). */
  Report report;

  /** The report: what ran, what happened, what the checks found. */
  record Report(
      Map<String, Object> run,
      Map<String, Object> chaos,
      Map<String, Object> availability,
      Verifier.Verdict verdict,
      List<Map<String, Object>> unanswered,
      List<String> timeline) {}

  public static void main(final String[] args) {
    System.exit(new CommandLine(new ChaosSuite()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    clean(work);
    Files.createDirectories(work);
    final Path model = work.resolve("model.safetensors");
    final int made =
        Main.commandLine()
            .execute(
                "model",
                "random",
                "--arch",
                "finch",
                "--layers",
                "2",
                "--dim",
                "64",
                "--head-size",
                "16",
                "--vocab",
                "256",
                "--seed",
                Long.toString(seed),
                "--dtype",
                "f32",
                "--out",
                model.toString());
    if (made != 0) {
      throw new IllegalStateException("could not write the model " + model);
    }
    final LoadedModel loaded =
        new LoadedModel(
            Models.load(model, LoadOptions.defaults().withThreads(1)),
            ByteTokenizer.INSTANCE,
            model.getFileName().toString());
    final long started = System.nanoTime();
    LOG.info("chaos: starting {} brokers and {} instances", brokers, instances);
    try (LocalCluster cluster =
        LocalCluster.start(work, model, brokers, Map.of(), instances, partitions, settings)) {
      final long ready = System.nanoTime();
      final Properties consumer =
          KafkaTestCluster.consumerProps(cluster.kafka().bootstrapServers());
      try (ReplyCollector replies = new ReplyCollector(consumer)) {
        report = run(cluster, replies, loaded, consumer, (ready - started) / 1e9);
      }
    }
    final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    final Path file = work.resolve("report.json");
    json.writeValue(file.toFile(), report);
    print(report, file);
    return report.verdict().failures().isEmpty() ? 0 : 1;
  }

  private Report run(
      final LocalCluster cluster,
      final ReplyCollector replies,
      final LoadedModel model,
      final Properties consumer,
      final double startSeconds)
      throws Exception {
    final HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    final Duration duration = Duration.ofSeconds(durationSeconds);
    final long deadline = System.nanoTime() + duration.toNanos();
    final Supplier<List<String>> gateways =
        () -> {
          final List<Integer> up = cluster.runningInstances();
          final List<String> urls = new ArrayList<>();
          for (final int i : up.isEmpty() ? List.of(0) : up) {
            urls.add(cluster.url(i));
          }
          return urls;
        };
    final Map<String, ClientRecord> clients = new LinkedHashMap<>();
    final List<Thread> threads = new ArrayList<>();
    final List<Prober> probers = new ArrayList<>();
    for (int c = 0; c < conversations; c++) {
      final String id = "chaos-" + seed + "-" + c;
      final ClientRecord record = new ClientRecord(id);
      clients.put(id, record);
      threads.add(
          Thread.ofVirtual()
              .name("client-" + id)
              .start(new ChatClient(http, gateways, record, seed * 7919 + c, deadline, maxTokens)));
      final Prober prober =
          new Prober(
              http,
              gateways,
              id,
              () -> {
                synchronized (record) {
                  return !record.accepted.isEmpty();
                }
              },
              1000,
              seed * 104729 + c);
      probers.add(prober);
      threads.add(Thread.ofVirtual().name("probe-" + id).start(prober));
    }
    final Monkey monkey =
        new Monkey(
            cluster,
            seed,
            duration,
            Monkey.Range.parse(killEvery),
            Monkey.Range.parse(downFor),
            Monkey.Range.parse(brokerDownFor),
            !noBrokerChaos,
            Math.max(1, instances - 1));
    final Thread chaos = Thread.ofPlatform().name("monkey").start(monkey);
    chaos.join();
    LOG.info("chaos: load ends; letting the struck instances come back");
    monkey.finish(Duration.ofMinutes(4));
    for (int i = 0; i < conversations; i++) {
      threads.get(2 * i).join(Duration.ofMinutes(5));
    }
    probers.forEach(Prober::stop);
    LOG.info("chaos: waiting for every generation to end");
    final Map<String, Verifier.Located> located = new LinkedHashMap<>();
    final Map<String, List<ConversationEvent>> events = Verifier.readEvents(consumer, located);
    final List<String> requests =
        events.values().stream()
            .flatMap(List::stream)
            .filter(ConversationEvent::hasGenerate)
            .map(e -> e.getGenerate().getRequestId())
            .toList();
    // Not an exception: the report (and the instances' logs in the work directory) must still be
    // written, naming each request without a final reply, so that it can be looked for in the logs.
    final List<Map<String, Object>> unanswered =
        describe(
            replies.awaitFinishedOrList(requests, Duration.ofMinutes(5)),
            located,
            clients,
            replies,
            monkey.startMs());
    // A clean stop commits everything each instance holds; then the changelogs are complete.
    cluster.stopInstances();
    final ChangelogReader.Contents changelogs =
        ChangelogReader.read(consumer, LocalCluster.APPLICATION_ID);
    final Verifier.Verdict verdict =
        new Verifier(model)
            .verify(clients, events, replies.replies(), replies.deadLetters(), changelogs);
    final List<Long> gaps =
        probers.stream().map(Prober::longestGapMs).sorted(Comparator.naturalOrder()).toList();
    final Map<String, Object> availability = new LinkedHashMap<>();
    availability.put("probe_period_ms", 1000);
    availability.put("reads", probers.stream().mapToInt(Prober::reads).sum());
    availability.put("reads_failed", probers.stream().mapToInt(Prober::failed).sum());
    availability.put("longest_gap_ms_max", gaps.isEmpty() ? 0 : gaps.get(gaps.size() - 1));
    availability.put("longest_gap_ms_median", gaps.isEmpty() ? 0 : gaps.get(gaps.size() / 2));
    availability.put(
        "longest_gap_ms_by_conversation",
        probers.stream()
            .collect(
                Collectors.toMap(
                    Prober::conversation, Prober::longestGapMs, (a, b) -> a, LinkedHashMap::new)));
    final Map<String, Object> run = new LinkedHashMap<>();
    run.put("duration_s", durationSeconds);
    run.put("brokers", brokers);
    run.put("instances", instances);
    run.put("partitions", partitions);
    run.put("conversations", conversations);
    run.put("seed", seed);
    run.put("settings", settings);
    run.put("cluster_start_s", Math.round(startSeconds * 10) / 10.0);
    final Map<String, Object> chaosCounts = new LinkedHashMap<>();
    chaosCounts.put("kills", monkey.kills());
    chaosCounts.put("sigterms", monkey.stops());
    chaosCounts.put("restarts", monkey.restarts());
    chaosCounts.put("broker_stops", monkey.brokerStops());
    return new Report(run, chaosCounts, availability, verdict, unanswered, monkey.timeline());
  }

  /**
   * What is known of each request without a final reply: its conversation, where its Generate is in
   * the events topic (the partition is the task that had to answer it: grep the logs for {@code
   * 0_<partition>} and the request id), when the broker took it (also in seconds since the chaos
   * began, as in the timeline), the replies it did get, and what its client saw.
   */
  private static List<Map<String, Object>> describe(
      final List<String> requests,
      final Map<String, Verifier.Located> located,
      final Map<String, ClientRecord> clients,
      final ReplyCollector replies,
      final long chaosStartMs) {
    final List<Map<String, Object>> out = new ArrayList<>();
    for (final String request : requests) {
      final Map<String, Object> d = new LinkedHashMap<>();
      d.put("request_id", request);
      final Verifier.Located at = located.get(request);
      if (at != null) {
        d.put("conversation", at.conversation());
        d.put("partition", at.partition());
        d.put("offset", at.offset());
        d.put("accepted_at", Instant.ofEpochMilli(at.timestampMs()).toString());
        d.put("accepted_s", Math.round((at.timestampMs() - chaosStartMs) / 100.0) / 10.0);
      }
      d.put("chunks_replied", replies.replies(request).stream().filter(Reply::hasChunk).count());
      final ClientRecord client = at == null ? null : clients.get(at.conversation());
      if (client != null) {
        synchronized (client) {
          for (final ClientRecord.Streamed s : client.generations) {
            if (request.equals(s.requestId)) {
              d.put("client_gateway", s.gateway);
              d.put("client_status", s.status);
              d.put("client_chunks", s.chunks.size());
              d.put("client_error", s.error);
            }
          }
        }
      }
      out.add(d);
    }
    return out;
  }

  private static void print(final Report r, final Path file) {
    final Verifier.Verdict v = r.verdict();
    System.out.printf(
        "chaos: %s s, %s brokers, %s instances, %d conversations%n",
        r.run().get("duration_s"),
        r.run().get("brokers"),
        r.run().get("instances"),
        v.conversations());
    r.timeline().forEach(t -> System.out.println("  " + t));
    System.out.printf(
        "  chaos: %s kills (SIGKILL), %s SIGTERMs, %s restarts, %s broker stops%n",
        r.chaos().get("kills"),
        r.chaos().get("sigterms"),
        r.chaos().get("restarts"),
        r.chaos().get("broker_stops"));
    System.out.printf(
        "  messages: %d accepted, %d uncertain (%d of them applied), %d refused%n",
        v.messagesAccepted(),
        v.messagesUncertain(),
        v.messagesUncertainApplied(),
        v.messagesRefused());
    System.out.printf(
        "  generations: %d (%s); streams: %d finished, %d cut off, %d refused; %d tokens streamed%n",
        v.generations(),
        v.finishReasons(),
        v.streamsFinished(),
        v.streamsCutOff(),
        v.streamsRefused(),
        v.tokensStreamed());
    System.out.printf(
        "  availability: %s reads, %s failed; longest gap between answered reads per conversation:"
            + " max %s ms, median %s ms%n",
        r.availability().get("reads"),
        r.availability().get("reads_failed"),
        r.availability().get("longest_gap_ms_max"),
        r.availability().get("longest_gap_ms_median"));
    System.out.printf("  dead letters: %d%n", v.deadLetters());
    if (!r.unanswered().isEmpty()) {
      System.out.println("  requests without a final reply: " + r.unanswered().size());
      r.unanswered().forEach(u -> System.out.println("    " + u));
    }
    if (v.failures().isEmpty()) {
      System.out.println("  checks: all held");
    } else {
      System.out.println("  checks: " + v.failures().size() + " FAILED");
      v.failures().forEach(f -> System.out.println("    " + f));
    }
    System.out.println("  report: " + file);
  }

  private static void clean(final Path dir) throws Exception {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (final Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
