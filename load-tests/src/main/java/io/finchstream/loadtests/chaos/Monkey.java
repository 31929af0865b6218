package io.finchstream.loadtests.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chaos: at random intervals it kills an instance (SIGKILL, now and then SIGTERM instead) and
 * starts it again a random while later, never leaving fewer than {@code minRunning} running; once
 * per run, at a random time in its middle third, it stops a broker and starts it again. Everything
 * it does is logged with its time ({@link #timeline}).
 */
final class Monkey implements Runnable {

  private static final Logger LOG = LoggerFactory.getLogger(Monkey.class);

  /** A range of seconds to draw from. */
  record Range(int min, int max) {
    static Range parse(final String text) {
      final String[] parts = text.split("-", -1);
      final int min = Integer.parseInt(parts[0].strip());
      return new Range(min, parts.length > 1 ? Integer.parseInt(parts[1].strip()) : min);
    }

    long drawMs(final Random random) {
      return 1000L * (min + random.nextInt(max - min + 1));
    }
  }

  private final LocalCluster cluster;
  private final Random random;
  private final long startMs;
  private final long endMs;
  private final Range killEvery;
  private final Range downFor;
  private final Range brokerDownFor;
  private final boolean brokerChaos;
  private final int minRunning;
  private final ScheduledExecutorService restarts =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("monkey-restarts").factory());
  private final List<String> timeline = new ArrayList<>();
  private volatile boolean running = true;
  private int kills;
  private int stops;
  private int restartCount;
  private int brokerStops;

  /** The broker it stops: one without the KRaft controller. */
  private static final int BROKER = 2;

  Monkey(
      final LocalCluster cluster,
      final long seed,
      final Duration duration,
      final Range killEvery,
      final Range downFor,
      final Range brokerDownFor,
      final boolean brokerChaos,
      final int minRunning) {
    this.cluster = cluster;
    this.random = new Random(seed);
    this.startMs = System.currentTimeMillis();
    this.endMs = startMs + duration.toMillis();
    this.killEvery = killEvery;
    this.downFor = downFor;
    this.brokerDownFor = brokerDownFor;
    this.brokerChaos = brokerChaos && cluster.kafka().brokerCount() > BROKER;
    this.minRunning = minRunning;
  }

  @Override
  public void run() {
    final long span = endMs - startMs;
    long brokerAt = brokerChaos ? startMs + span / 3 + (long) (random.nextDouble() * span / 3) : -1;
    try {
      long next = System.currentTimeMillis() + killEvery.drawMs(random);
      while (running && System.currentTimeMillis() < endMs) {
        Thread.sleep(200);
        final long now = System.currentTimeMillis();
        if (brokerAt > 0 && now >= brokerAt) {
          brokerAt = -1;
          stopBroker();
        }
        if (now >= next) {
          next = now + killEvery.drawMs(random);
          strikeAnInstance();
        }
      }
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (final Exception e) {
      LOG.error("the monkey failed", e);
      note("the monkey failed: " + e);
    }
  }

  private void strikeAnInstance() throws InterruptedException {
    final List<Integer> up = cluster.runningInstances();
    if (up.size() <= minRunning) {
      return;
    }
    final int victim = up.get(random.nextInt(up.size()));
    if (random.nextInt(100) < 85) {
      cluster.kill(victim);
      synchronized (this) {
        kills++;
      }
      note("kill -9 instance-" + victim);
    } else {
      cluster.stop(victim);
      synchronized (this) {
        stops++;
      }
      note("SIGTERM instance-" + victim);
    }
    final var unused =
        restarts.schedule(() -> restart(victim), downFor.drawMs(random), TimeUnit.MILLISECONDS);
  }

  private void restart(final int i) {
    try {
      if (!cluster.running(i)) {
        cluster.restart(i);
        synchronized (this) {
          restartCount++;
        }
        note("restart instance-" + i);
      }
    } catch (final Exception e) {
      LOG.error("restarting instance-{} failed", i, e);
      note("restart of instance-" + i + " failed: " + e);
    }
  }

  private void stopBroker() {
    LOG.info("stopping broker {}", BROKER);
    cluster.kafka().stopBroker(BROKER);
    synchronized (this) {
      brokerStops++;
    }
    note("stop broker " + BROKER);
    final var unused =
        restarts.schedule(
            () -> {
              try {
                cluster.kafka().startBroker(BROKER);
                note("start broker " + BROKER);
              } catch (final RuntimeException e) {
                LOG.error("starting broker {} again failed", BROKER, e);
                note("start of broker " + BROKER + " failed: " + e);
              }
            },
            brokerDownFor.drawMs(random),
            TimeUnit.MILLISECONDS);
  }

  private synchronized void note(final String what) {
    timeline.add(
        String.format("%7.1f s  %s", (System.currentTimeMillis() - startMs) / 1000.0, what));
  }

  /**
   * Stops striking, lets the scheduled restarts run, then starts whatever is still down and waits
   * until every instance is ready.
   */
  void finish(final Duration readyTimeout) throws Exception {
    running = false;
    restarts.shutdown();
    if (!restarts.awaitTermination(5, TimeUnit.MINUTES)) {
      throw new IllegalStateException("restarts still pending after 5 minutes");
    }
    for (int i = 0; i < cluster.size(); i++) {
      if (!cluster.running(i)) {
        restart(i);
      }
    }
    for (int i = 0; i < cluster.size(); i++) {
      cluster.awaitReady(i, readyTimeout);
    }
  }

  synchronized int kills() {
    return kills;
  }

  synchronized int stops() {
    return stops;
  }

  synchronized int restarts() {
    return restartCount;
  }

  synchronized int brokerStops() {
    return brokerStops;
  }

  /** When the chaos began (epoch ms): the timeline's times count from it. */
  long startMs() {
    return startMs;
  }

  synchronized List<String> timeline() {
    return List.copyOf(timeline);
  }
}
