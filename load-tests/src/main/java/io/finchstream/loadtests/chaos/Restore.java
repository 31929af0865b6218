package io.finchstream.loadtests.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.finchstream.app.Main;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Restore time and bytes (issue 14, item 5): one instance serving a Finch L12-D768 model (random
 * weights, byte vocabulary: the state is what matters) holds {@code --conversations} conversations,
 * each with a message and a one-token reply (so each has a snapshot of its recurrent state); then
 * (a) its local state is wiped and it starts again, restoring everything from the changelogs, and
 * (b) it is killed with SIGKILL and starts again on its state. Measured: the changelogs' bytes and
 * records, how long until it is ready and every conversation answers, what it restored.
 */
@Command(
    name = "restore",
    mixinStandardHelpOptions = true,
    description = {
      "Measures restore time and bytes of many conversations' state: after a wiped state directory",
      "and after kill -9."
    })
public final class Restore implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(Restore.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<Integer> RETRY = Set.of(503, 504);

  @Option(
      names = "--conversations",
      defaultValue = "1000",
      description = "Default: ${DEFAULT-VALUE}.")
  int conversations;

  @Option(
      names = "--clients",
      defaultValue = "16",
      description = "Concurrent clients while filling. Default: ${DEFAULT-VALUE}.")
  int clients;

  @Option(names = "--partitions", defaultValue = "6", description = "Default: ${DEFAULT-VALUE}.")
  int partitions;

  @Option(
      names = "--model-args",
      defaultValue = "--arch finch --layers 12 --dim 768 --head-size 64 --vocab 256",
      description = "Options of `finchstream model random`. Default: ${DEFAULT-VALUE}.")
  String modelArgs;

  @Option(
      names = "--work",
      defaultValue = "load-tests/target/restore",
      description = "Working directory: state, logs, report. Default: ${DEFAULT-VALUE}.")
  Path work;

  @Option(
      names = "--heap",
      defaultValue = "2g",
      description =
          "Heap of the instance's JVM: the model's weights (fp32 by default: 387 MB for the"
              + " default model) plus its hot states. Default: ${DEFAULT-VALUE}.")
  private String heap;

  @Option(names = "--set", description = "A setting of the instance (KEY=VALUE).")
  List<String> settings = new ArrayList<>();

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  public static void main(final String[] args) {
    System.exit(new CommandLine(new Restore()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Files.createDirectories(work);
    final Path model = work.resolve("model.safetensors");
    if (!Files.exists(model)) {
      final List<String> make = new ArrayList<>(List.of("model", "random"));
      make.addAll(List.of(modelArgs.trim().split("\\s+")));
      make.addAll(List.of("--dtype", "bf16", "--out", model.toString()));
      if (Main.commandLine().execute(make.toArray(String[]::new)) != 0) {
        throw new IllegalStateException("could not write the model");
      }
    }
    final List<String> instanceSettings = new ArrayList<>(List.of("standby.replicas=0"));
    instanceSettings.addAll(settings);
    final Map<String, Object> report = new LinkedHashMap<>();
    report.put("conversations", conversations);
    report.put("model", modelArgs);
    report.put("partitions", partitions);
    report.put("settings", instanceSettings);
    report.put("heap", heap);
    try (LocalCluster cluster =
        LocalCluster.start(
            work.resolve("run"), model, 1, Map.of(), 1, partitions, instanceSettings, heap)) {
      final String url = cluster.url(0);
      final List<String> ids = new ArrayList<>();
      for (int c = 0; c < conversations; c++) {
        ids.add("restore-" + c);
      }
      final long fill = System.nanoTime();
      forEach(
          ids,
          id -> {
            call(url, id, "messages", "{\"text\":\"conversation " + id + "\"}");
            call(url, id, "generate", "{\"max_tokens\":1,\"temperature\":0,\"stream\":false}");
          });
      report.put("fill_s", seconds(System.nanoTime() - fill));
      report.put("changelogs", changelogs(cluster));
      LOG.info("restore: filled {} conversations: {}", ids.size(), report.get("changelogs"));

      cluster.stop(0);
      cluster.wipeState(0);
      report.put("after_wiped_state", restart(cluster, ids));

      cluster.kill(0);
      report.put("after_kill_9", restart(cluster, ids));
    }
    final Path file = work.resolve("report.json");
    JSON.enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), report);
    System.out.println("restore: " + JSON.writeValueAsString(report));
    System.out.println("restore report: " + file);
    return 0;
  }

  /** Starts instance 0 again; measures until it is ready and until every conversation answers. */
  private Map<String, Object> restart(final LocalCluster cluster, final List<String> ids)
      throws Exception {
    final long start = System.nanoTime();
    cluster.restart(0);
    cluster.awaitReady(0, Duration.ofMinutes(30));
    final long ready = System.nanoTime();
    forEach(ids, id -> readUntilAnswered(cluster.url(0), id));
    final long answered = System.nanoTime();
    final long[] restored = cluster.restored(0);
    final Map<String, Object> r = new LinkedHashMap<>();
    r.put("ready_s", seconds(ready - start));
    r.put("all_conversations_answer_s", seconds(answered - start));
    r.put("records_restored", restored[0]);
    r.put("longest_store_partition_restore_ms", restored[1]);
    LOG.info("restore: {}", r);
    return r;
  }

  /** Bytes and records in the changelog topics (the brokers' log sizes, end offsets). */
  private static Map<String, Object> changelogs(final LocalCluster cluster) throws Exception {
    try (Admin admin = cluster.kafka().admin()) {
      final Map<String, Long> bytesByStore = new LinkedHashMap<>();
      long bytes = 0;
      final Map<Integer, Map<String, LogDirDescription>> dirs =
          admin.describeLogDirs(cluster.kafka().brokerIds()).allDescriptions().get();
      for (final Map<String, LogDirDescription> byDir : dirs.values()) {
        for (final LogDirDescription d : byDir.values()) {
          for (final Map.Entry<TopicPartition, ReplicaInfo> e : d.replicaInfos().entrySet()) {
            final String topic = e.getKey().topic();
            if (topic.startsWith(LocalCluster.APPLICATION_ID + "-")
                && topic.endsWith("-changelog")) {
              final String store =
                  topic.substring(
                      LocalCluster.APPLICATION_ID.length() + 1,
                      topic.length() - "-changelog".length());
              bytesByStore.merge(store, e.getValue().size(), Long::sum);
              bytes += e.getValue().size();
            }
          }
        }
      }
      final Map<String, Object> out = new LinkedHashMap<>();
      out.put("bytes", bytes);
      out.put("bytes_by_store", bytesByStore);
      return out;
    }
  }

  private interface PerConversation {
    void run(String id) throws Exception;
  }

  private void forEach(final List<String> ids, final PerConversation work) throws Exception {
    final Semaphore slots = new Semaphore(clients);
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      final List<Future<?>> futures = new ArrayList<>();
      for (final String id : ids) {
        futures.add(
            pool.submit(
                () -> {
                  slots.acquire();
                  try {
                    work.run(id);
                  } finally {
                    slots.release();
                  }
                  return null;
                }));
      }
      for (final Future<?> f : futures) {
        f.get();
      }
    }
  }

  private void call(final String url, final String id, final String what, final String json)
      throws Exception {
    while (true) {
      final HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url + "/v1/conversations/" + id + "/" + what))
                  .timeout(Duration.ofMinutes(10))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(json))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() / 100 == 2) {
        return;
      }
      if (!RETRY.contains(r.statusCode())) {
        throw new IllegalStateException(id + " " + what + ": " + r.statusCode() + " " + r.body());
      }
      Thread.sleep(200);
    }
  }

  private void readUntilAnswered(final String url, final String id) throws Exception {
    while (true) {
      try {
        if (http.send(
                    HttpRequest.newBuilder(URI.create(url + "/v1/conversations/" + id))
                        .timeout(Duration.ofMinutes(2))
                        .build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode()
            == 200) {
          return;
        }
      } catch (final IOException e) {
        // try again
      }
      Thread.sleep(100);
    }
  }

  private static double seconds(final long nanos) {
    return Math.round(nanos / 1e8) / 10.0;
  }
}
