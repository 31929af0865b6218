package io.finchstream.loadtests.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.finchstream.app.Main;
import io.finchstream.processors.testing.ChildJvm;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code finchstream up} after {@code kill -9} (issue 14, item 5): {@code up} in a child JVM with
 * conversations and a generation running, killed with SIGKILL, started again on the same data
 * directory and ports; measured from the new start: when the gateway prints its address, when it is
 * ready, when every conversation answers a read, and what the restart restored.
 */
@Command(
    name = "up-restart",
    mixinStandardHelpOptions = true,
    description = {
      "Measures how long `finchstream up` takes to serve again after kill -9, and what it restores."
    })
public final class UpRestart implements Callable<Integer> {

  private static final Pattern GATEWAY = Pattern.compile("Gateway: (http://\\S+)");
  private static final Pattern RESTORED = Pattern.compile("restored (\\d+) records of ");
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(
      names = "--conversations",
      defaultValue = "100",
      description = "Default: ${DEFAULT-VALUE}.")
  int conversations;

  @Option(names = "--rounds", defaultValue = "3", description = "Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(
      names = "--work",
      defaultValue = "load-tests/target/up-restart",
      description = "Data directory of up, logs, report. Default: ${DEFAULT-VALUE}.")
  Path work;

  @Option(names = "--set", description = "A setting of up (KEY=VALUE).")
  List<String> settings = new ArrayList<>();

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  public static void main(final String[] args) {
    System.exit(new CommandLine(new UpRestart()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Files.createDirectories(work);
    final int kafkaPort = freePort();
    final int port = freePort();
    final List<String> args =
        new ArrayList<>(
            List.of(
                "up",
                "--data-dir",
                work.resolve("data").toString(),
                "--kafka-port",
                Integer.toString(kafkaPort),
                "--port",
                Integer.toString(port),
                "--set",
                "gateway.rate.limit.per.second=0"));
    for (final String s : settings) {
      args.add("--set");
      args.add(s);
    }
    final String url = "http://localhost:" + port;
    final List<Map<String, Object>> results = new ArrayList<>();
    ChildJvm up = start(args, 0);
    try {
      up.awaitLine(GATEWAY, Duration.ofMinutes(5));
      awaitReady(url, Duration.ofMinutes(5));
      final List<String> ids = new ArrayList<>();
      for (int c = 0; c < conversations; c++) {
        ids.add("up-" + c);
      }
      try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
        final List<Future<?>> setup = new ArrayList<>();
        for (final String id : ids) {
          setup.add(
              pool.submit(
                  () -> {
                    post(
                        url,
                        "/v1/conversations/" + id + "/messages",
                        "{\"text\":\"hello " + id + "\"}");
                    post(
                        url,
                        "/v1/conversations/" + id + "/generate",
                        "{\"max_tokens\":8,\"stream\":false}");
                    return null;
                  }));
        }
        for (final Future<?> f : setup) {
          f.get();
        }
      }
      for (int r = 1; r <= rounds; r++) {
        // A long generation streams while up is killed.
        final Thread streaming =
            Thread.ofVirtual()
                .start(
                    () -> {
                      try {
                        post(url, "/v1/conversations/up-0/generate", "{\"max_tokens\":4000}");
                      } catch (final Exception e) {
                        // cut off by the kill
                      }
                    });
        Thread.sleep(3000);
        up.kill();
        streaming.join();
        final long started = System.nanoTime();
        up = start(args, r);
        up.awaitLine(GATEWAY, Duration.ofMinutes(5));
        final long printed = System.nanoTime();
        awaitReady(url, Duration.ofMinutes(5));
        final long ready = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
          final List<Future<?>> reads = new ArrayList<>();
          for (final String id : ids) {
            reads.add(pool.submit(() -> readUntilAnswered(url, id)));
          }
          for (final Future<?> f : reads) {
            f.get();
          }
        }
        final long answered = System.nanoTime();
        long restored = 0;
        for (final String line : up.lines()) {
          final Matcher m = RESTORED.matcher(line);
          if (m.find()) {
            restored += Long.parseLong(m.group(1));
          }
        }
        final Map<String, Object> result = new LinkedHashMap<>();
        result.put("round", r);
        result.put("gateway_printed_s", seconds(printed - started));
        result.put("ready_s", seconds(ready - started));
        result.put("all_conversations_answer_s", seconds(answered - started));
        result.put("changelog_records_restored", restored);
        System.out.println("up-restart: " + JSON.writeValueAsString(result));
        results.add(result);
      }
    } finally {
      up.close();
    }
    final Map<String, Object> report = new LinkedHashMap<>();
    report.put("conversations", conversations);
    report.put("settings", settings);
    report.put("rounds", results);
    final Path file = work.resolve("report.json");
    JSON.enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), report);
    System.out.println("up-restart report: " + file);
    return 0;
  }

  private ChildJvm start(final List<String> args, final int round) throws IOException {
    return ChildJvm.start(
        "up-" + round, Main.class.getName(), args, Map.of(), "1g", work.resolve("logs"));
  }

  private void awaitReady(final String url, final Duration timeout) throws InterruptedException {
    final long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (http.send(
                    HttpRequest.newBuilder(URI.create(url + "/health/ready"))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode()
            == 200) {
          return;
        }
      } catch (final IOException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("up is not ready after " + timeout);
  }

  private Void readUntilAnswered(final String url, final String id) throws Exception {
    while (true) {
      try {
        if (http.send(
                    HttpRequest.newBuilder(URI.create(url + "/v1/conversations/" + id))
                        .timeout(Duration.ofSeconds(60))
                        .build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode()
            == 200) {
          return null;
        }
      } catch (final IOException e) {
        // try again
      }
      Thread.sleep(100);
    }
  }

  private void post(final String url, final String path, final String json) throws Exception {
    final HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url + path))
                .timeout(Duration.ofMinutes(5))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException(path + ": " + r.statusCode() + " " + r.body());
    }
  }

  private static double seconds(final long nanos) {
    return Math.round(nanos / 1e8) / 10.0;
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("localhost", 0));
      return s.getLocalPort();
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
