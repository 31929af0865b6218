package io.finchstream.loadtests.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.finchstream.app.Main;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Failover time (issue 14, item 5): a cluster on this machine ({@link LocalCluster}), conversations
 * with state, a steady chat load, then one instance killed with SIGKILL at a time; for every
 * conversation the time from the kill until it answers again through the surviving gateways, as a
 * read ({@code GET}) and as a generation (a reply of 4 tokens). Reported for the conversations the
 * killed instance owned (the others are not interrupted, and measured too).
 */
@Command(
    name = "failover",
    mixinStandardHelpOptions = true,
    description = {
      "Measures how long the conversations of a killed instance (SIGKILL) take to answer again",
      "through the other instances' gateways, with a chat load running."
    })
public final class Failover implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(Failover.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Answers to try again: no owner yet, or a write that timed out (a benchmark, not a check). */
  private static final Set<Integer> RETRY = Set.of(503, 504);

  @Option(
      names = "--conversations",
      defaultValue = "60",
      description = "Default: ${DEFAULT-VALUE}.")
  int conversations;

  @Option(
      names = "--load-clients",
      defaultValue = "6",
      description = "Chatting clients during the kills. Default: ${DEFAULT-VALUE}.")
  int loadClients;

  @Option(names = "--kills", defaultValue = "3", description = "Default: ${DEFAULT-VALUE}.")
  int kills;

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
      names = "--model-args",
      defaultValue = "--arch finch --layers 2 --dim 64 --head-size 16 --vocab 256",
      description =
          "Options of `finchstream model random` for the served model. Default: ${DEFAULT-VALUE}.")
  String modelArgs;

  @Option(
      names = "--work",
      defaultValue = "load-tests/target/failover",
      description = "Working directory: state, logs, report. Default: ${DEFAULT-VALUE}.")
  Path work;

  @Option(names = "--set", description = "A setting of every instance (KEY=VALUE).")
  List<String> settings = new ArrayList<>();

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  public static void main(final String[] args) {
    System.exit(new CommandLine(new Failover()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Files.createDirectories(work);
    final Path model = work.resolve("model.safetensors");
    final List<String> make = new ArrayList<>(List.of("model", "random"));
    make.addAll(List.of(modelArgs.trim().split("\\s+")));
    make.addAll(List.of("--dtype", "f32", "--out", model.toString()));
    if (Main.commandLine().execute(make.toArray(String[]::new)) != 0) {
      throw new IllegalStateException("could not write the model");
    }
    final List<Map<String, Object>> rounds = new ArrayList<>();
    try (LocalCluster cluster =
        LocalCluster.start(
            work.resolve("run"), model, brokers, Map.of(), instances, partitions, settings)) {
      final List<String> ids = new ArrayList<>();
      for (int c = 0; c < conversations; c++) {
        ids.add("fo-" + c);
      }
      LOG.info("failover: giving {} conversations some state", ids.size());
      try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
        final List<Future<Long>> setup = new ArrayList<>();
        for (final String id : ids) {
          setup.add(pool.submit(() -> turn(cluster.url(0), id, RETRY)));
        }
        for (final Future<Long> f : setup) {
          f.get();
        }
      }
      final long loadEnd = Long.MAX_VALUE;
      final List<Thread> load = new ArrayList<>();
      for (int i = 0; i < loadClients; i++) {
        load.add(
            Thread.ofVirtual()
                .start(
                    new ChatClient(
                        http,
                        () -> urls(cluster),
                        new ClientRecord("fo-load-" + i),
                        17L * i,
                        loadEnd,
                        12)));
      }
      try {
        for (int k = 0; k < kills; k++) {
          Thread.sleep(10_000);
          rounds.add(round(cluster, ids, k % instances));
        }
      } finally {
        load.forEach(Thread::interrupt);
      }
    }
    final Map<String, Object> report = new LinkedHashMap<>();
    report.put("instances", instances);
    report.put("brokers", brokers);
    report.put("partitions", partitions);
    report.put("conversations", conversations);
    report.put("load_clients", loadClients);
    report.put("model", modelArgs);
    report.put("settings", settings);
    report.put("rounds", rounds);
    final Path file = work.resolve("report.json");
    JSON.enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), report);
    System.out.println("failover report: " + file);
    return 0;
  }

  /** Kills {@code victim}, measures every conversation's way back, restarts it. */
  private Map<String, Object> round(
      final LocalCluster cluster, final List<String> ids, final int victim) throws Exception {
    final Set<Integer> owned = cluster.partitions(victim);
    final Map<String, Object> owners = new LinkedHashMap<>();
    for (final int i : cluster.runningInstances()) {
      owners.put("instance-" + i, cluster.partitions(i));
    }
    final List<String> survivors = new ArrayList<>();
    for (final int i : cluster.runningInstances()) {
      if (i != victim) {
        survivors.add(cluster.url(i));
      }
    }
    final long killed = System.nanoTime();
    cluster.kill(victim);
    final Map<String, long[]> times = new LinkedHashMap<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      final Map<String, Future<long[]>> futures = new LinkedHashMap<>();
      for (final String id : ids) {
        futures.put(
            id,
            pool.submit(
                () -> {
                  final long read = readAgain(survivors, id, killed);
                  turn(survivors.get(0), id, RETRY);
                  return new long[] {read, (System.nanoTime() - killed) / 1_000_000};
                }));
      }
      for (final Map.Entry<String, Future<long[]>> e : futures.entrySet()) {
        times.put(e.getKey(), e.getValue().get());
      }
    }
    final List<Long> readsOwned = new ArrayList<>();
    final List<Long> generationsOwned = new ArrayList<>();
    final List<Long> readsOthers = new ArrayList<>();
    times.forEach(
        (id, t) -> {
          if (owned.contains(partition(id))) {
            readsOwned.add(t[0]);
            generationsOwned.add(t[1]);
          } else {
            readsOthers.add(t[0]);
          }
        });
    final Map<String, Object> round = new LinkedHashMap<>();
    round.put("victim", "instance-" + victim);
    round.put("victim_partitions", owned);
    round.put("owners_before", owners);
    round.put("conversations_owned", readsOwned.size());
    round.put("read_ms_owned", summary(readsOwned));
    round.put("generation_ms_owned", summary(generationsOwned));
    round.put("read_ms_others", summary(readsOthers));
    final Map<String, Object> each = new LinkedHashMap<>();
    times.forEach((id, t) -> each.put(id + " (p" + partition(id) + ")", List.of(t[0], t[1])));
    round.put("read_and_generation_ms_by_conversation", each);
    LOG.info("failover round: {}", round);
    final Map<String, Object> brief = new LinkedHashMap<>(round);
    brief.remove("read_and_generation_ms_by_conversation");
    System.out.println("failover: " + JSON.writeValueAsString(brief));
    cluster.restart(victim);
    cluster.awaitReady(victim, Duration.ofMinutes(4));
    return round;
  }

  /** Milliseconds from {@code since} until {@code id} answers a read through a survivor. */
  private long readAgain(final List<String> survivors, final String id, final long since)
      throws InterruptedException {
    final Random random = new Random(id.hashCode());
    while (true) {
      try {
        final HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(
                        URI.create(
                            survivors.get(random.nextInt(survivors.size()))
                                + "/v1/conversations/"
                                + id))
                    .timeout(Duration.ofSeconds(60))
                    .build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return (System.nanoTime() - since) / 1_000_000;
        }
      } catch (final IOException e) {
        // try again
      }
      Thread.sleep(50);
    }
  }

  /**
   * A message and a reply of 4 tokens in conversation {@code id} through {@code gateway}, retried
   * while the answer is one of {@code retry}; returns how many tries it took.
   */
  private long turn(final String gateway, final String id, final Set<Integer> retry)
      throws Exception {
    final String message = "{\"text\":\"hello, this is " + id + "\"}";
    final String generate = "{\"max_tokens\":4,\"temperature\":0,\"stream\":false}";
    long tries = 0;
    for (final String[] call :
        List.of(new String[] {"messages", message}, new String[] {"generate", generate})) {
      while (true) {
        tries++;
        final HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(
                        URI.create(gateway + "/v1/conversations/" + id + "/" + call[0]))
                    .timeout(Duration.ofMinutes(3))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(call[1]))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 == 2) {
          break;
        }
        if (!retry.contains(r.statusCode())) {
          throw new IllegalStateException(
              id + " " + call[0] + ": " + r.statusCode() + " " + r.body());
        }
        Thread.sleep(100);
      }
    }
    return tries;
  }

  private static List<String> urls(final LocalCluster cluster) {
    final List<String> urls = new ArrayList<>();
    for (final int i : cluster.runningInstances()) {
      urls.add(cluster.url(i));
    }
    return urls.isEmpty() ? List.of(cluster.url(0)) : urls;
  }

  private int partition(final String id) {
    return Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  private static Map<String, Object> summary(final List<Long> values) {
    final List<Long> sorted = values.stream().sorted().toList();
    final Map<String, Object> s = new LinkedHashMap<>();
    s.put("n", sorted.size());
    if (!sorted.isEmpty()) {
      s.put("median", sorted.get(sorted.size() / 2));
      s.put(
          "p90", sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.9) - 1)));
      s.put("max", sorted.get(sorted.size() - 1));
    }
    return s;
  }
}
