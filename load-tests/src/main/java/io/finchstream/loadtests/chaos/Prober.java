package io.finchstream.loadtests.chaos;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Measures one conversation's availability as a client sees it: once the conversation exists it is
 * read ({@code GET}) through a random running gateway every {@code periodMs}; the longest time
 * between two answered reads is its longest unavailability (plus about one period).
 */
final class Prober implements Runnable {

  private final HttpClient http;
  private final Supplier<List<String>> gateways;
  private final String conversation;
  private final BooleanSupplier exists;
  private final long periodMs;
  private final Random random;
  private volatile boolean running = true;

  private long lastAnsweredMs;
  private long longestGapMs;
  private int reads;
  private int failed;

  Prober(
      final HttpClient http,
      final Supplier<List<String>> gateways,
      final String conversation,
      final BooleanSupplier exists,
      final long periodMs,
      final long seed) {
    this.http = http;
    this.gateways = gateways;
    this.conversation = conversation;
    this.exists = exists;
    this.periodMs = periodMs;
    this.random = new Random(seed);
  }

  @Override
  public void run() {
    try {
      while (running) {
        if (exists.getAsBoolean()) {
          probe();
        }
        Thread.sleep(periodMs);
      }
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void probe() throws InterruptedException {
    final List<String> live = gateways.get();
    final String gateway = live.get(random.nextInt(live.size()));
    boolean ok;
    try {
      ok =
          http.send(
                      HttpRequest.newBuilder(
                              URI.create(gateway + "/v1/conversations/" + conversation))
                          .timeout(Duration.ofSeconds(60))
                          .build(),
                      HttpResponse.BodyHandlers.discarding())
                  .statusCode()
              == 200;
    } catch (final IOException e) {
      ok = false;
    }
    final long now = System.currentTimeMillis();
    synchronized (this) {
      reads++;
      if (ok) {
        if (lastAnsweredMs > 0) {
          longestGapMs = Math.max(longestGapMs, now - lastAnsweredMs);
        }
        lastAnsweredMs = now;
      } else {
        failed++;
      }
    }
  }

  void stop() {
    running = false;
  }

  String conversation() {
    return conversation;
  }

  /** Longest time between two answered reads, in ms. */
  synchronized long longestGapMs() {
    return longestGapMs;
  }

  synchronized int reads() {
    return reads;
  }

  /** Reads that did not answer 200 (an error status or no answer). */
  synchronized int failed() {
    return failed;
  }
}
