package io.finchstream.processors.testing;

import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.DeadLetter;
import io.finchstream.proto.v1.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * Follows {@code finchstream.replies} and {@code finchstream.dlq} with a read_committed consumer on
 * a background thread, as a client would: only what committed transactions wrote is seen.
 */
public final class ReplyCollector implements AutoCloseable {

  private final List<Reply> replies = new ArrayList<>();
  private final List<DeadLetter> deadLetters = new ArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;
  private volatile Throwable failure;

  public ReplyCollector(final Properties consumerProps) {
    thread = new Thread(() -> run(consumerProps), "reply-collector");
    thread.setDaemon(true);
    thread.start();
  }

  private void run(final Properties props) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(List.of(Topics.REPLIES, Topics.DLQ));
      while (running) {
        for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          synchronized (this) {
            if (r.topic().equals(Topics.REPLIES)) {
              replies.add(Reply.parseFrom(r.value()));
            } else {
              deadLetters.add(DeadLetter.parseFrom(r.value()));
            }
            notifyAll();
          }
        }
      }
    } catch (final Throwable t) {
      failure = t;
    }
  }

  /** Every reply so far. */
  public synchronized List<Reply> replies() {
    return List.copyOf(replies);
  }

  /** Every dead letter so far. */
  public synchronized List<DeadLetter> deadLetters() {
    return List.copyOf(deadLetters);
  }

  /** The replies of one request, in arrival order. */
  public synchronized List<Reply> replies(final String requestId) {
    return replies.stream().filter(r -> r.getRequestId().equals(requestId)).toList();
  }

  /** Waits until every request in {@code requestIds} has a GenerationDone or an Error. */
  public void awaitFinished(final Collection<String> requestIds, final Duration timeout)
      throws InterruptedException {
    awaitCondition(
        rs ->
            requestIds.stream()
                .allMatch(
                    id ->
                        rs.stream()
                            .anyMatch(
                                r -> r.getRequestId().equals(id) && (r.hasDone() || r.hasError()))),
        timeout,
        () -> "requests without a final reply: " + unfinished(requestIds));
  }

  /**
   * Waits until every request in {@code requestIds} has a GenerationDone or an Error, or {@code
   * timeout} passes; returns those still without one (empty when all finished), in the given order.
   */
  public List<String> awaitFinishedOrList(
      final Collection<String> requestIds, final Duration timeout) throws InterruptedException {
    try {
      awaitFinished(requestIds, timeout);
      return List.of();
    } catch (final AssertionError e) {
      if (failure != null) {
        throw e;
      }
      return unfinished(requestIds);
    }
  }

  /** The requests of {@code requestIds} without a GenerationDone or an Error so far. */
  public List<String> unfinished(final Collection<String> requestIds) {
    return requestIds.stream()
        .filter(id -> replies(id).stream().noneMatch(r -> r.hasDone() || r.hasError()))
        .toList();
  }

  /** Waits until at least {@code count} dead letters have arrived. */
  public synchronized void awaitDeadLetters(final int count, final Duration timeout)
      throws InterruptedException {
    final long deadline = System.nanoTime() + timeout.toNanos();
    while (deadLetters.size() < count) {
      final long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError(
            "timed out after "
                + timeout
                + " with "
                + deadLetters.size()
                + " of "
                + count
                + " dead letters");
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }

  /** Waits until {@code condition} holds for the replies so far. */
  public synchronized void awaitCondition(
      final Predicate<List<Reply>> condition, final Duration timeout, final Supplier<String> what)
      throws InterruptedException {
    final long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.test(replies)) {
      if (failure != null) {
        throw new AssertionError("reply consumer failed", failure);
      }
      final long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("timed out after " + timeout + ": " + what.get());
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }

  /** Stops the consumer thread; waits for it at most 10 s (less if interrupted). */
  @Override
  public void close() {
    running = false;
    try {
      thread.join(10_000);
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
