package io.finchstream.processors.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Any main class in a child JVM on this JVM's class path, for tests (and the chaos suite) that kill
 * processes: its output (stdout and stderr) goes to a log file and is searchable while it runs;
 * {@link #kill} is SIGKILL (no shutdown hook, no clean close), {@link #stop} is SIGTERM (the
 * shutdown hook runs, as with Ctrl-C).
 */
public final class ChildJvm implements AutoCloseable {

  /** Output lines kept in memory for {@link #awaitLine}; older ones are only in the log file. */
  private static final int MAX_LINES = 100_000;

  private final String name;
  private final Process process;
  private final Path log;
  private final Deque<String> lines = new ArrayDeque<>();
  private long dropped;
  private boolean pumping = true;

  private ChildJvm(final String name, final Process process, final Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
    final Thread reader = new Thread(this::pump, "child-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Starts {@code mainClass} with {@code args} in a JVM with the Vector API, heap {@code heap}
   * (e.g. "512m") and the extra environment {@code env}; output to {@code logDir/name.log}.
   */
  public static ChildJvm start(
      final String name,
      final String mainClass,
      final List<String> args,
      final Map<String, String> env,
      final String heap,
      final Path logDir)
      throws IOException {
    final List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--add-modules");
    cmd.add("jdk.incubator.vector");
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("-Xmx" + heap);
    cmd.add("-Xss4m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    Files.createDirectories(logDir);
    final Path log = logDir.resolve(name + ".log");
    final ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    return new ChildJvm(name, pb.start(), log);
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
        synchronized (this) {
          lines.addLast(line);
          if (lines.size() > MAX_LINES) {
            lines.removeFirst();
            dropped++;
          }
          notifyAll();
        }
      }
    } catch (final IOException e) {
      // the child is gone
    }
    synchronized (this) {
      pumping = false;
      notifyAll();
    }
  }

  /**
   * Waits for the first output line (since the start) that {@code pattern} finds something in;
   * returns the match.
   *
   * @throws AssertionError when none comes within {@code timeout} or the process ends first
   */
  public Matcher awaitLine(final Pattern pattern, final Duration timeout)
      throws InterruptedException {
    final long deadline = System.nanoTime() + timeout.toNanos();
    long next = 0; // absolute index of the next line to look at
    synchronized (this) {
      while (true) {
        final List<String> kept = new ArrayList<>(lines);
        for (long i = Math.max(next, dropped); i < dropped + kept.size(); i++) {
          final Matcher m = pattern.matcher(kept.get((int) (i - dropped)));
          if (m.find()) {
            return m;
          }
        }
        next = dropped + kept.size();
        final long left = deadline - System.nanoTime();
        if (left <= 0 || (!process.isAlive() && !pumping)) {
          throw new AssertionError(
              name
                  + (process.isAlive() ? "" : " (exited " + process.exitValue() + ")")
                  + " printed no line matching '"
                  + pattern
                  + "' within "
                  + timeout
                  + "; see "
                  + log.toAbsolutePath());
        }
        wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 200)));
      }
    }
  }

  /** The output lines kept in memory (the last {@value #MAX_LINES}), oldest first. */
  public synchronized List<String> lines() {
    return List.copyOf(lines);
  }

  /** Whether any output line so far (of those kept in memory) matches {@code pattern}. */
  public synchronized boolean printed(final Pattern pattern) {
    return lines.stream().anyMatch(l -> pattern.matcher(l).find());
  }

  /** SIGKILL: the JVM dies at once, mid-transaction. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /**
   * SIGTERM, as Ctrl-C: the shutdown hook runs; waits up to {@code timeout}, then kills.
   *
   * @return the exit code
   */
  public int stop(final Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      kill();
    }
    return process.exitValue();
  }

  public boolean alive() {
    return process.isAlive();
  }

  public long pid() {
    return process.pid();
  }

  public String name() {
    return name;
  }

  /** Where the child's output goes. */
  public Path log() {
    return log;
  }

  /**
   * Stops it (SIGTERM, then SIGKILL after 60 s) if it still runs; interrupted, kills it at once and
   * keeps the interrupt.
   */
  @Override
  public void close() {
    if (process.isAlive()) {
      try {
        stop(Duration.ofSeconds(60));
      } catch (final InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
