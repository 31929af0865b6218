package io.finchstream.loadtests.chaos;

import io.finchstream.app.Main;
import io.finchstream.processors.TopicAdmin;
import io.finchstream.processors.testing.ChildJvm;
import io.finchstream.processors.testing.KafkaTestCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole Finchstream cluster on this machine, loopback only: in-JVM KRaft brokers ({@link
 * KafkaTestCluster}) and {@code finchstream serve} instances as child JVMs of the real command
 * line, each with its own state directory and a fixed gateway port (kept across restarts, so an
 * instance comes back at the address the others know), sharing one peer secret and one model file.
 */
final class LocalCluster implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LocalCluster.class);
  private static final Pattern GATEWAY = Pattern.compile("Gateway: (http://\\S+)");
  private static final Pattern RESTORED =
      Pattern.compile("restored (\\d+) records of .* in (\\d+) ms");
  private static final Pattern TASK =
      Pattern.compile("task \\d+_(\\d+): conversation processor (ready|closed)");
  private static final Duration START = Duration.ofMinutes(4);

  /** The application id of the instances (their consumer group). */
  static final String APPLICATION_ID = "chaos";

  private final KafkaTestCluster kafka;
  private final List<Node> nodes;
  private final Path model;
  private final Path logs;
  private final List<String> settings;
  private final String heap;
  private final String secret;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  /** One instance: where it listens and keeps its state, and its JVM while it runs. */
  private static final class Node {
    final String name;
    final int port;
    final Path stateDir;
    volatile ChildJvm jvm;
    int starts;

    Node(final String name, final int port, final Path stateDir) {
      this.name = name;
      this.port = port;
      this.stateDir = stateDir;
    }

    String url() {
      return "http://localhost:" + port;
    }
  }

  private LocalCluster(
      final KafkaTestCluster kafka,
      final List<Node> nodes,
      final Path model,
      final Path logs,
      final List<String> settings,
      final String heap) {
    this.kafka = kafka;
    this.nodes = nodes;
    this.model = model;
    this.logs = logs;
    this.settings = settings;
    this.heap = heap;
    final byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    this.secret = HexFormat.of().formatHex(bytes);
  }

  /** The heap of an instance's JVM unless told otherwise: enough for the small test models. */
  static final String DEFAULT_HEAP = "512m";

  /** {@link #start(Path, Path, int, Map, int, int, List, String)} with {@link #DEFAULT_HEAP}. */
  static LocalCluster start(
      final Path work,
      final Path model,
      final int brokers,
      final Map<String, Object> brokerProps,
      final int instances,
      final int partitions,
      final List<String> settings)
      throws Exception {
    return start(work, model, brokers, brokerProps, instances, partitions, settings, DEFAULT_HEAP);
  }

  /**
   * Starts {@code brokers} brokers (broker settings {@code brokerProps}), creates the topics with
   * {@code partitions} partitions, and starts {@code instances} instances serving {@code model}
   * with {@code settings} ({@code --set}), each in a JVM of {@code heap} (e.g. "2g"); returns once
   * every gateway is ready.
   */
  static LocalCluster start(
      final Path work,
      final Path model,
      final int brokers,
      final Map<String, Object> brokerProps,
      final int instances,
      final int partitions,
      final List<String> settings,
      final String heap)
      throws Exception {
    final KafkaTestCluster kafka = KafkaTestCluster.start(brokers, brokerProps);
    try (Admin admin = kafka.admin()) {
      TopicAdmin.ensureTopics(admin, partitions, kafka.replicationFactor());
    }
    final List<Node> nodes = new ArrayList<>();
    for (int i = 0; i < instances; i++) {
      nodes.add(new Node("instance-" + i, freePort(), work.resolve("state-" + i)));
    }
    final LocalCluster cluster =
        new LocalCluster(kafka, nodes, model, work.resolve("logs"), settings, heap);
    try {
      for (int i = 0; i < instances; i++) {
        cluster.launch(i);
      }
      for (int i = 0; i < instances; i++) {
        cluster.awaitReady(i, START);
      }
    } catch (final Exception e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /** Instances, running or not. */
  int size() {
    return nodes.size();
  }

  /** The gateway of instance {@code i} (whether it runs or not). */
  String url(final int i) {
    return nodes.get(i).url();
  }

  boolean running(final int i) {
    final ChildJvm jvm = nodes.get(i).jvm;
    return jvm != null && jvm.alive();
  }

  /** Indices of the instances that run. */
  List<Integer> runningInstances() {
    final List<Integer> out = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      if (running(i)) {
        out.add(i);
      }
    }
    return out;
  }

  /**
   * The input partitions whose tasks instance {@code i} runs as their active owner now (from its
   * log: the processors log each task they open and close).
   */
  Set<Integer> partitions(final int i) {
    final ChildJvm jvm = nodes.get(i).jvm;
    final Set<Integer> owned = new TreeSet<>();
    if (jvm == null || !jvm.alive()) {
      return owned;
    }
    for (final String line : jvm.lines()) {
      final Matcher m = TASK.matcher(line);
      if (m.find()) {
        if (m.group(2).equals("ready")) {
          owned.add(Integer.parseInt(m.group(1)));
        } else {
          owned.remove(Integer.parseInt(m.group(1)));
        }
      }
    }
    return owned;
  }

  /**
   * What instance {@code i} restored from the changelogs since it last started (from its log):
   * records, and the longest restore of one store partition in ms.
   */
  long[] restored(final int i) {
    long records = 0;
    long longest = 0;
    for (final String line : nodes.get(i).jvm.lines()) {
      final Matcher m = RESTORED.matcher(line);
      if (m.find()) {
        records += Long.parseLong(m.group(1));
        longest = Math.max(longest, Long.parseLong(m.group(2)));
      }
    }
    return new long[] {records, longest};
  }

  /** Deletes the local state of instance {@code i}, which must not run. */
  void wipeState(final int i) throws IOException {
    if (running(i)) {
      throw new IllegalStateException("instance-" + i + " runs");
    }
    final Path dir = nodes.get(i).stateDir;
    try (Stream<Path> paths = Files.walk(dir)) {
      for (final Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** The brokers. */
  KafkaTestCluster kafka() {
    return kafka;
  }

  /** SIGKILL of instance {@code i}: no clean close, open transactions left to time out. */
  void kill(final int i) throws InterruptedException {
    final Node node = nodes.get(i);
    LOG.info("kill -9 {} (pid {})", node.name, node.jvm.pid());
    node.jvm.kill();
  }

  /** SIGTERM of instance {@code i}: it leaves the group and closes cleanly. */
  void stop(final int i) throws InterruptedException {
    final Node node = nodes.get(i);
    LOG.info("stopping {} (SIGTERM)", node.name);
    node.jvm.stop(Duration.ofSeconds(90));
  }

  /** Starts instance {@code i} again on its state directory and port; returns at once. */
  void restart(final int i) throws IOException {
    launch(i);
  }

  /** Waits until instance {@code i}'s gateway is ready (its processors run). */
  void awaitReady(final int i, final Duration timeout) throws Exception {
    final Node node = nodes.get(i);
    node.jvm.awaitLine(GATEWAY, timeout);
    final long deadline = System.nanoTime() + timeout.toNanos();
    while (!ready(node.url())) {
      if (System.nanoTime() > deadline || !node.jvm.alive()) {
        throw new IllegalStateException(
            node.name + " is not ready after " + timeout + "; see " + node.jvm.log());
      }
      Thread.sleep(200);
    }
  }

  private boolean ready(final String url) {
    try {
      return http.send(
                  HttpRequest.newBuilder(URI.create(url + "/health/ready"))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 200;
    } catch (final IOException e) {
      return false;
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void launch(final int i) throws IOException {
    final Node node = nodes.get(i);
    final List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "serve",
            "--bootstrap-servers",
            kafka.bootstrapServers(),
            "--model",
            model.toString(),
            "--state-dir",
            node.stateDir.toString(),
            "--port",
            Integer.toString(node.port),
            "--insecure",
            "--set",
            "application.id=" + APPLICATION_ID,
            "--set",
            "topics.create=false",
            "--set",
            "gateway.rate.limit.per.second=0"));
    for (final String s : settings) {
      args.add("--set");
      args.add(s);
    }
    Files.createDirectories(node.stateDir);
    node.starts++;
    node.jvm =
        ChildJvm.start(
            node.name + "-" + node.starts,
            Main.class.getName(),
            args,
            Map.of("FINCHSTREAM_GATEWAY_PEER_SECRET", secret),
            heap,
            logs);
    LOG.info("started {} (pid {}) on {}", node.name, node.jvm.pid(), node.url());
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("localhost", 0));
      return s.getLocalPort();
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops every instance cleanly (in parallel); the brokers keep running. */
  void stopInstances() throws InterruptedException {
    final List<Thread> stopping = new ArrayList<>();
    for (final Node node : nodes) {
      final ChildJvm jvm = node.jvm;
      if (jvm != null && jvm.alive()) {
        stopping.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      try {
                        jvm.stop(Duration.ofSeconds(90));
                      } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                    }));
      }
    }
    for (final Thread t : stopping) {
      t.join();
    }
  }

  /** Stops every instance cleanly, then the brokers. */
  @Override
  public void close() {
    try {
      stopInstances();
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      kafka.close();
    }
  }
}
