package io.finchstream.app;

import io.finchstream.processors.testing.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A {@code finchstream up} or {@code serve} in a child JVM, run through the real command line
 * ({@link Main}), with the address its gateway printed.
 */
record Instance(ChildJvm jvm, String url, String bootstrap) implements AutoCloseable {

  private static final Pattern KAFKA = Pattern.compile("Kafka:\\s+(\\S+)");
  private static final Pattern GATEWAY = Pattern.compile("Gateway: (http://\\S+)");
  private static final Duration START = Duration.ofMinutes(4);

  /**
   * {@code up} with its data under {@code dataDir}, any free ports, {@code partitions} partitions
   * and {@code settings} ({@code --set}).
   */
  static Instance up(
      final Path dataDir, final int partitions, final Path logs, final String... settings)
      throws IOException, InterruptedException {
    final List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "up",
            "--data-dir",
            dataDir.toString(),
            "--kafka-port",
            "0",
            "--port",
            "0",
            "--partitions",
            Integer.toString(partitions)));
    for (final String s : settings) {
      args.add("--set");
      args.add(s);
    }
    final ChildJvm jvm = ChildJvm.start("up", Main.class.getName(), args, Map.of(), "768m", logs);
    final String kafka = jvm.awaitLine(KAFKA, START).group(1);
    return new Instance(jvm, jvm.awaitLine(GATEWAY, START).group(1), kafka);
  }

  /**
   * {@code serve} named {@code name} joining the cluster of {@code up} (its broker, model and peer
   * secret), with state under {@code stateDir}, any free port, no API keys.
   */
  static Instance serve(
      final String name,
      final Instance up,
      final Path upDataDir,
      final Path stateDir,
      final Path logs,
      final String... settings)
      throws IOException, InterruptedException {
    final List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "serve",
            "--bootstrap-servers",
            up.bootstrap(),
            "--model",
            upDataDir.resolve("models").resolve(ServedModels.DEMO_FILE).toString(),
            "--state-dir",
            stateDir.toString(),
            "--port",
            "0",
            "--insecure"));
    for (final String s : settings) {
      args.add("--set");
      args.add(s);
    }
    final String secret =
        Files.readString(upDataDir.resolve(GatewayLauncher.PEER_SECRET_FILE)).strip();
    final ChildJvm jvm =
        ChildJvm.start(
            name,
            Main.class.getName(),
            args,
            Map.of("FINCHSTREAM_GATEWAY_PEER_SECRET", secret),
            "768m",
            logs);
    return new Instance(jvm, jvm.awaitLine(GATEWAY, START).group(1), up.bootstrap());
  }

  @Override
  public void close() {
    jvm.close();
  }
}
