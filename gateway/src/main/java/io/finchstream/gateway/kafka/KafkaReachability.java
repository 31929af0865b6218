package io.finchstream.gateway.kafka;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;

/**
 * Whether the brokers answer: a {@code describeCluster} with a short timeout, remembered for a
 * second so that frequent readiness probes cost nothing. Blocking; call it on a worker thread.
 */
public final class KafkaReachability implements AutoCloseable {

  private static final long CACHE_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final Admin admin;
  private final long timeoutMs;
  private long checkedAt;
  private String lastProblem;

  public KafkaReachability(final Admin admin, final long timeoutMs) {
    this.admin = admin;
    this.timeoutMs = timeoutMs;
  }

  /** "" when the cluster answered, else what went wrong. */
  public synchronized String problem() {
    if (lastProblem != null && System.nanoTime() - checkedAt < CACHE_NANOS) {
      return lastProblem;
    }
    String problem;
    try {
      final int brokers =
          admin.describeCluster().nodes().get(timeoutMs, TimeUnit.MILLISECONDS).size();
      problem = brokers > 0 ? "" : "the cluster reports no brokers";
    } catch (final TimeoutException e) {
      problem = "no answer from Kafka within " + timeoutMs + " ms";
    } catch (final ExecutionException e) {
      problem = "Kafka error: " + e.getCause();
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
      problem = "interrupted";
    }
    lastProblem = problem;
    checkedAt = System.nanoTime();
    return problem;
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(2));
  }
}
