package io.finchstream.gateway.kafka;

import io.finchstream.gateway.http.ApiError;
import io.finchstream.proto.ConversationKeys;
import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.ConversationEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes {@link ConversationEvent}s to the events topic, keyed by conversation, and completes a
 * future on the caller's Vert.x context with where each went.
 *
 * <p>{@code KafkaProducer.send} can block (waiting for topic metadata, or for buffer space), so it
 * never runs on an event loop: one dedicated thread calls it, in the order the events were offered,
 * which keeps one conversation's events in order. The producer is idempotent, so a retry never
 * duplicates or reorders them. The producer's callback runs on its I/O thread; the result hops back
 * to the caller's context with {@code runOnContext}.
 *
 * <p>Bounded, so that a hanging Kafka cannot make requests pile up: at most {@code maxPending}
 * events wait for (or are in) {@code send}; more fail at once (503 {@code overloaded}). Every write
 * has a deadline ({@code timeoutMs}, the gateway's request timeout): it fails then (504 {@code
 * timeout}) whatever the producer is doing, and an event still waiting for the sender thread at its
 * deadline is never sent. An event already handed to the producer may still be written after its
 * deadline; the error says so.
 */
public final class EventPublisher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EventPublisher.class);

  private final Producer<byte[], byte[]> producer;
  private final ThreadPoolExecutor sender;
  private final WriteTracker tracker;
  private final long timeoutMs;
  private final AtomicInteger pending = new AtomicInteger();

  /**
   * @param maxPending events that may wait for or be in {@code send} at once
   * @param timeoutMs how long a write may take before it fails
   */
  public EventPublisher(
      final Producer<byte[], byte[]> producer,
      final WriteTracker tracker,
      final int maxPending,
      final long timeoutMs) {
    this.producer = producer;
    this.tracker = tracker;
    this.timeoutMs = timeoutMs;
    // One thread, and a queue of maxPending - 1: with the event in send(), maxPending in all.
    this.sender =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(Math.max(1, maxPending - 1)),
            r -> {
              final Thread t = new Thread(r, "finchstream-gateway-producer");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * The producer settings the gateway needs on top of the caller's: {@code send} blocks at most
   * {@code requestTimeoutMs}, and a record is delivered or failed within it.
   */
  public static Map<String, Object> requiredProducerSettings(final long requestTimeoutMs) {
    return Map.of(
        "acks",
        "all",
        "enable.idempotence",
        true,
        "linger.ms",
        0,
        "max.block.ms",
        requestTimeoutMs,
        "request.timeout.ms",
        (int) Math.min(requestTimeoutMs, 30_000L),
        "delivery.timeout.ms",
        (int) requestTimeoutMs,
        "key.serializer",
        "org.apache.kafka.common.serialization.ByteArraySerializer",
        "value.serializer",
        "org.apache.kafka.common.serialization.ByteArraySerializer");
  }

  /**
   * Writes {@code event} for conversation {@code key}; the future completes on {@code context} once
   * the broker has it (acks=all), or fails with an {@code ApiException}: 503 {@code overloaded}
   * when too many writes wait, 504 {@code timeout} at the deadline, 503 {@code kafka_unavailable}
   * when the producer fails it.
   */
  public Future<Written> publish(
      final Context context, final String key, final ConversationEvent event) {
    final Promise<Written> promise = Promise.promise();
    final ProducerRecord<byte[], byte[]> record =
        new ProducerRecord<>(
            Topics.EVENTS, key.getBytes(StandardCharsets.UTF_8), event.toByteArray());
    final boolean deletes = event.hasDelete();
    final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    pending.incrementAndGet();
    try {
      sender.execute(() -> send(context, key, event, record, deletes, deadline, promise));
    } catch (final RejectedExecutionException e) {
      pending.decrementAndGet();
      promise.fail(
          (sender.isShutdown()
                  ? ApiError.unavailable("shutting_down", "the gateway is shutting down")
                  : ApiError.unavailable(
                      "overloaded", "too many events wait to be written to Kafka; retry shortly"))
              .exception());
      return promise.future();
    }
    final long timer =
        context
            .owner()
            .setTimer(
                timeoutMs,
                t ->
                    context.runOnContext(
                        v ->
                            promise.tryFail(
                                ApiError.timeout(
                                        "Kafka did not confirm the write within "
                                            + timeoutMs
                                            + " ms (gateway.request.timeout.ms); it may still be"
                                            + " applied: read the conversation before retrying")
                                    .exception())));
    promise.future().onComplete(ar -> context.owner().cancelTimer(timer));
    return promise.future();
  }

  @SuppressWarnings("FutureReturnValueIgnored") // its callback settles the promise, errors too
  private void send(
      final Context context,
      final String key,
      final ConversationEvent event,
      final ProducerRecord<byte[], byte[]> record,
      final boolean deletes,
      final long deadline,
      final Promise<Written> promise) {
    try {
      if (System.nanoTime() > deadline) {
        return; // its timer failed it; never write what the client was told failed
      }
      producer.send(
          withPartition(record, key),
          (metadata, error) ->
              context.runOnContext(
                  v -> {
                    if (error != null) {
                      LOG.warn("writing an event of {} to Kafka failed: {}", key, error.toString());
                      promise.tryFail(
                          ApiError.unavailable(
                                  "kafka_unavailable",
                                  "could not write the event to Kafka; retry shortly")
                              .exception());
                    } else {
                      final Written written =
                          new Written(
                              event.getEventId(), metadata.partition(), metadata.offset(), deletes);
                      tracker.record(key, written);
                      promise.tryComplete(written);
                    }
                  }));
    } catch (final RuntimeException e) {
      LOG.warn("Kafka refused an event of {}: {}", key, e.toString());
      context.runOnContext(
          v ->
              promise.tryFail(
                  ApiError.unavailable(
                          "kafka_unavailable", "could not write the event to Kafka; retry shortly")
                      .exception()));
    } finally {
      pending.decrementAndGet();
    }
  }

  /**
   * {@code record} with the partition of {@code key}'s events: a branch of a tree ({@code
   * root~...}) goes where its root does ({@link ConversationKeys}); a plain key is left to the
   * producer's default partitioner, which puts it at the same place. May block for topic metadata
   * (on the sender thread).
   */
  private ProducerRecord<byte[], byte[]> withPartition(
      final ProducerRecord<byte[], byte[]> record, final String key) {
    if (key.indexOf(ConversationKeys.BRANCH_SEPARATOR) < 0) {
      return record;
    }
    final int partition =
        ConversationKeys.partition(key, producer.partitionsFor(record.topic()).size());
    return new ProducerRecord<>(record.topic(), partition, record.key(), record.value());
  }

  /** Events waiting for or in {@code send}. */
  public int pending() {
    return pending.get();
  }

  @Override
  public void close() {
    sender.shutdown();
    producer.close(Duration.ofSeconds(5));
  }
}
