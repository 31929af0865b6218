package io.finchstream.app;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * CPU time of this process's threads over a phase of a benchmark, by group (engine kernels, decode
 * thread, stream thread, broker, Kafka clients, the rest), so a service benchmark shows what shares
 * the cores with the engine. Threads that ended during the phase are not counted.
 */
final class ThreadCpu {

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final Map<Long, Long> start;
  private final Map<Long, String> names;
  private final long wallStart = System.nanoTime();

  private ThreadCpu(final Map<Long, Long> start, final Map<Long, String> names) {
    this.start = start;
    this.names = names;
  }

  /** Starts measuring now. */
  static ThreadCpu start() {
    final Map<Long, Long> cpu = new HashMap<>();
    final Map<Long, String> names = new HashMap<>();
    snapshot(cpu, names);
    return new ThreadCpu(cpu, names);
  }

  /**
   * CPU per group since {@link #start}, as cores busy on average (1.0 = one core all the time), and
   * the wall seconds.
   */
  String report() {
    final double wall = (System.nanoTime() - wallStart) / 1e9;
    final Map<Long, Long> now = new HashMap<>();
    final Map<Long, String> names = new HashMap<>(this.names);
    snapshot(now, names);
    final Map<String, Long> byGroup = new LinkedHashMap<>();
    for (final String g :
        new String[] {"engine", "decode", "stream", "broker", "clients", "other"}) {
      byGroup.put(g, 0L);
    }
    now.forEach(
        (id, cpu) ->
            byGroup.merge(group(names.get(id)), cpu - start.getOrDefault(id, 0L), Long::sum));
    final StringBuilder out =
        new StringBuilder(String.format(Locale.ROOT, "%.2f s wall; CPU in cores:", wall));
    double total = 0;
    for (final Map.Entry<String, Long> e : byGroup.entrySet()) {
      final double cores = e.getValue() / 1e9 / wall;
      total += cores;
      out.append(String.format(Locale.ROOT, " %s %.2f", e.getKey(), cores));
    }
    return out.append(String.format(Locale.ROOT, " (total %.2f)", total)).toString();
  }

  private static String group(final String name) {
    if (name == null) {
      return "other";
    }
    if (name.startsWith("finchstream-kernels-")) {
      return "engine";
    }
    if (name.startsWith("finchstream-decode-")) {
      return "decode";
    }
    if (name.contains("StreamThread")) {
      return "stream";
    }
    if (name.contains("producer-network-thread")
        || name.contains("consumer")
        || name.contains("admin-client")
        || name.contains("kafka-coordinator-heartbeat")) {
      return "clients";
    }
    if (name.startsWith("data-plane")
        || name.startsWith("kafka-")
        || name.contains("broker")
        || name.contains("controller")
        || name.contains("Raft")
        || name.contains("raft")
        || name.contains("ExpirationReaper")
        || name.contains("log-cleaner")
        || name.contains("group-coordinator")
        || name.contains("transaction")
        || name.contains("quorum")
        || name.contains("scheduler")
        || name.contains("executor-")) {
      return "broker";
    }
    return "other";
  }

  private static void snapshot(final Map<Long, Long> cpu, final Map<Long, String> names) {
    for (final ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
      if (info == null) {
        continue;
      }
      final long t = THREADS.getThreadCpuTime(info.getThreadId());
      if (t >= 0) {
        cpu.put(info.getThreadId(), t);
        names.put(info.getThreadId(), info.getThreadName());
      }
    }
  }
}
