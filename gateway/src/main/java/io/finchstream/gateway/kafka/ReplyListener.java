package io.finchstream.gateway.kafka;

import com.google.protobuf.InvalidProtocolBufferException;
import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the replies topic on one dedicated thread (a {@code KafkaConsumer} is not thread-safe) and
 * passes the replies addressed to this gateway ({@code reply_to} = its instance id) to the {@link
 * ReplyRouter}.
 *
 * <p>Replies are keyed by conversation, so those of this gateway's requests can be on any
 * partition: the listener reads every partition (manual assignment, no consumer group, no commits),
 * starting at the end when it starts, and picks up partitions added later. It reads with {@code
 * isolation.level=read_committed}, so it only sees the replies of committed transactions of the
 * exactly-once processors.
 */
public final class ReplyListener implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ReplyListener.class);
  private static final Duration POLL = Duration.ofMillis(100);
  private static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final Consumer<byte[], byte[]> consumer;
  private final String instanceId;
  private final ReplyRouter router;
  private final LongConsumer replyDelayMs;
  private final Thread thread;
  private final CountDownLatch assignedLatch = new CountDownLatch(1);
  private final AtomicLong malformed = new AtomicLong();
  private volatile boolean running = true;
  private volatile boolean assigned;
  private volatile String problem = "not started";
  private Set<TopicPartition> partitions = Set.of();
  private long lastRefresh;

  /**
   * @param replyDelayMs told, for every reply to this gateway, how long after its record timestamp
   *     it arrived
   */
  public ReplyListener(
      final Consumer<byte[], byte[]> consumer,
      final String instanceId,
      final ReplyRouter router,
      final LongConsumer replyDelayMs) {
    this.consumer = consumer;
    this.instanceId = instanceId;
    this.router = router;
    this.replyDelayMs = replyDelayMs;
    this.thread = new Thread(this::run, "finchstream-gateway-replies");
    this.thread.setDaemon(true);
  }

  /** The consumer settings the listener needs on top of the caller's. */
  public static Map<String, Object> requiredConsumerSettings() {
    return Map.of(
        "isolation.level", "read_committed",
        "enable.auto.commit", false,
        "auto.offset.reset", "latest",
        "key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer",
        "value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
  }

  public void start() {
    problem = "waiting for topic " + Topics.REPLIES;
    thread.start();
  }

  /** Waits until every partition is assigned and positioned (or the timeout passes). */
  public boolean awaitAssigned(final Duration timeout) throws InterruptedException {
    return assignedLatch.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** True once every partition is assigned and positioned. */
  public boolean assigned() {
    return assigned;
  }

  /** Why the listener is not assigned (for readiness), or "" when it is. */
  public String problem() {
    return assigned ? "" : problem;
  }

  /** Records on the replies topic that were not a {@code Reply}. */
  public long malformed() {
    return malformed.get();
  }

  private void run() {
    try {
      while (running) {
        try {
          pollOnce();
        } catch (final WakeupException e) {
          if (running) {
            LOG.warn("reply consumer woken up unexpectedly; continuing");
          }
        } catch (final RuntimeException e) {
          // Start over from the end: generations in flight time out, later ones work again.
          assigned = false;
          partitions = Set.of();
          problem = "reply consumer failed: " + e;
          LOG.error("reply consumer failed; reassigning in 1 s", e);
          sleep(1_000);
        }
      }
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(2)));
    }
  }

  private void pollOnce() {
    if (System.nanoTime() - lastRefresh > REFRESH_NANOS || !assigned) {
      refreshAssignment();
    }
    if (!assigned) {
      sleep(500);
      return;
    }
    for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
      route(record);
    }
  }

  private void route(final ConsumerRecord<byte[], byte[]> record) {
    final Reply reply;
    try {
      reply = Reply.parseFrom(record.value());
    } catch (final InvalidProtocolBufferException | NullPointerException e) {
      malformed.incrementAndGet();
      return;
    }
    if (instanceId.equals(reply.getReplyTo())) {
      replyDelayMs.accept(System.currentTimeMillis() - record.timestamp());
      router.dispatch(reply);
    }
  }

  private void refreshAssignment() {
    lastRefresh = System.nanoTime();
    final List<PartitionInfo> infos;
    try {
      infos = consumer.partitionsFor(Topics.REPLIES, Duration.ofSeconds(5));
    } catch (final TimeoutException e) {
      problem =
          "cannot reach Kafka to list the partitions of " + Topics.REPLIES + ": " + e.getMessage();
      return;
    }
    if (infos == null || infos.isEmpty()) {
      problem = "topic " + Topics.REPLIES + " does not exist yet";
      return;
    }
    final Set<TopicPartition> all = new HashSet<>();
    infos.forEach(i -> all.add(new TopicPartition(i.topic(), i.partition())));
    if (all.equals(partitions)) {
      return;
    }
    final List<TopicPartition> added = new ArrayList<>(all);
    added.removeAll(partitions);
    final boolean first = partitions.isEmpty();
    consumer.assign(all);
    if (first) {
      consumer.seekToEnd(all);
    } else {
      consumer.seekToBeginning(
          added); // new partitions: everything on them is newer than this gateway
    }
    all.forEach(consumer::position); // resolve the positions now, before requests are accepted
    partitions = all;
    assigned = true;
    assignedLatch.countDown();
    LOG.info(
        "reading replies for gateway {} from {} partitions of {}",
        instanceId,
        all.size(),
        Topics.REPLIES);
  }

  private void sleep(final long ms) {
    try {
      Thread.sleep(ms);
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  /**
   * Stops the consumer thread and waits for it at most 5 s (less if interrupted: the interrupt
   * status is kept).
   */
  @Override
  public void close() {
    running = false;
    if (thread.isAlive()) {
      consumer.wakeup();
      try {
        thread.join(5_000);
      } catch (final InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } else if (thread.getState() == Thread.State.NEW) {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(2)));
    }
  }
}
