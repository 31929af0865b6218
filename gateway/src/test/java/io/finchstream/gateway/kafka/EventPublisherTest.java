package io.finchstream.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.gateway.http.ApiException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The publisher when Kafka hangs: {@code send} blocks (as {@code KafkaProducer.send} does for up to
 * {@code max.block.ms} while a topic's metadata is missing or its buffer is full).
 */
@ExtendWith(VertxExtension.class)
class EventPublisherTest {

  /** A producer whose send blocks until released, then fails as KafkaProducer's would. */
  private static final class HangingProducer extends MockProducer<byte[], byte[]> {
    private final CountDownLatch release = new CountDownLatch(1);

    HangingProducer() {
      super(false, null, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Override
    @SuppressWarnings("UnsynchronizedOverridesSynchronized") // touches no state; must hang unlocked
    public java.util.concurrent.Future<RecordMetadata> send(
        final ProducerRecord<byte[], byte[]> record, final Callback callback) {
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (final InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new TimeoutException("Topic not present in metadata after 30000 ms.");
    }
  }

  private static List<Throwable> awaitFailures(final List<Future<Written>> writes)
      throws Exception {
    final List<Throwable> failures = new ArrayList<>();
    for (final Future<Written> w : writes) {
      try {
        w.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        failures.add(null);
      } catch (final ExecutionException e) {
        failures.add(e.getCause());
      }
    }
    return failures;
  }

  @Test
  void shouldFailEveryWriteByItsDeadlineWhileKafkaHangs(final Vertx vertx) throws Exception {
    final HangingProducer producer = new HangingProducer();
    final EventPublisher publisher = new EventPublisher(producer, new WriteTracker(100), 100, 300);
    try {
      final Context context = vertx.getOrCreateContext();
      final long started = System.nanoTime();
      final List<Future<Written>> writes = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        writes.add(publisher.publish(context, "c" + i, Events.delete()));
      }
      final List<Throwable> failures = awaitFailures(writes);
      final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      assertThat(failures)
          .allSatisfy(
              e -> {
                assertThat(e).isInstanceOf(ApiException.class);
                assertThat(((ApiException) e).error().status()).isEqualTo(504);
              });
      assertThat(ms)
          .as("each write fails at its own deadline, not after the ones queued before it")
          .isLessThan(3_000);
    } finally {
      producer.release.countDown();
      publisher.close();
    }
  }

  @Test
  void shouldRefuseWritesBeyondItsQueueAtOnce(final Vertx vertx) throws Exception {
    final HangingProducer producer = new HangingProducer();
    final EventPublisher publisher = new EventPublisher(producer, new WriteTracker(100), 4, 10_000);
    try {
      final Context context = vertx.getOrCreateContext();
      final List<Future<Written>> writes = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        writes.add(publisher.publish(context, "q" + i, Events.delete()));
      }
      // One write is in send(), three wait: the other six are refused without waiting.
      Thread.sleep(200);
      final long refused =
          writes.stream()
              .filter(Future::failed)
              .filter(
                  w ->
                      w.cause() instanceof ApiException api
                          && api.error().status() == 503
                          && api.error().code().equals("overloaded"))
              .count();
      assertThat(refused).isEqualTo(6);
      assertThat(publisher.pending()).isEqualTo(4);
    } finally {
      producer.release.countDown();
      publisher.close();
    }
  }
}
