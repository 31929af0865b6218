package io.finchstream.processors.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A service instance in a child JVM ({@link ServiceMain}) on the test classpath, so that a test can
 * kill it with SIGKILL: no shutdown hook, no clean close, no final commit, exactly like a crash.
 */
public final class ChildService implements AutoCloseable {

  private final String name;
  private final Process process;
  private final CountDownLatch running = new CountDownLatch(1);
  private final Path log;
  private final Set<Integer> partitions = ConcurrentHashMap.newKeySet();
  private static final Pattern TASK =
      Pattern.compile("task \\d+_(\\d+): conversation processor (ready|closed)");

  private ChildService(final String name, final Process process, final Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
    final Thread reader = new Thread(this::pump, "child-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts an instance with the settings {@code props} and the test model {@code model}. */
  public static ChildService start(
      final String name, final Map<String, Object> props, final String model, final Path logDir)
      throws IOException {
    final List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--add-modules");
    cmd.add("jdk.incubator.vector");
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("-Xmx512m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(ServiceMain.class.getName());
    props.forEach((k, v) -> cmd.add(k + "=" + v));
    cmd.add("model=" + model);
    Files.createDirectories(logDir);
    final Path log = logDir.resolve(name + ".log");
    final ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    return new ChildService(name, pb.start(), log);
  }

  private void pump() {
    try (BufferedReader in =
            new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter out =
            new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true)) {
      String line;
      while ((line = in.readLine()) != null) {
        out.println(line);
        if (line.equals("RUNNING")) {
          running.countDown();
        }
        final Matcher m = TASK.matcher(line);
        if (m.find()) {
          if (m.group(2).equals("ready")) {
            partitions.add(Integer.parseInt(m.group(1)));
          } else {
            partitions.remove(Integer.parseInt(m.group(1)));
          }
        }
      }
    } catch (final IOException e) {
      // the child is gone
    }
  }

  /** Waits until the instance reports RUNNING. */
  public void awaitRunning(final Duration timeout) throws InterruptedException {
    if (!running.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(
          "instance " + name + " did not reach RUNNING in " + timeout + "; see " + log);
    }
  }

  /** The input partitions whose tasks this instance runs now (from its log). */
  public Set<Integer> partitions() {
    return Set.copyOf(partitions);
  }

  /** SIGKILL: the JVM dies at once, mid-transaction. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** Where the child's output goes. */
  public Path log() {
    return log;
  }

  /**
   * Closes cleanly (end of stdin), or kills after 30 s. Interrupted, it kills at once and keeps the
   * thread's interrupt status.
   */
  @Override
  public void close() throws IOException {
    if (process.isAlive()) {
      process.getOutputStream().close();
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          kill();
        }
      } catch (final InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
