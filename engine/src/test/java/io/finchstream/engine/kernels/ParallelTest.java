package io.finchstream.engine.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {

  @Test
  void shouldCoverEveryIndexExactlyOnce() {
    final Parallel parallel = new Parallel(3);
    for (int n = 1; n < 200; n += 7) {
      final AtomicIntegerArray hits = new AtomicIntegerArray(n);
      final Set<String> threads = ConcurrentHashMap.newKeySet();
      parallel.forRange(
          n,
          1,
          (from, to) -> {
            threads.add(Thread.currentThread().getName());
            for (int i = from; i < to; i++) {
              hits.incrementAndGet(i);
            }
          });
      for (int i = 0; i < n; i++) {
        assertThat(hits.get(i)).as("n %d index %d", n, i).isEqualTo(1);
      }
      assertThat(threads.size()).isLessThanOrEqualTo(Math.min(3, n));
    }
  }

  @Test
  void shouldRunManyShortRegionsInARow() {
    final Parallel parallel = new Parallel(2);
    final long[] sums = new long[2];
    for (int round = 0; round < 20_000; round++) {
      final int r = round;
      parallel.forRange(
          2,
          1,
          (from, to) -> {
            for (int i = from; i < to; i++) {
              sums[i] += r;
            }
          });
    }
    final long expected = 20_000L * 19_999 / 2;
    assertThat(sums).containsExactly(expected, expected);
  }

  @Test
  void shouldPropagateAWorkersExceptionAndStayUsable() {
    final Parallel parallel = new Parallel(2);
    assertThatThrownBy(
            () ->
                parallel.forRange(
                    2,
                    1,
                    (from, to) -> {
                      if (from == 1) {
                        throw new IllegalArgumentException("boom in part 1");
                      }
                    }))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("boom in part 1");
    final AtomicIntegerArray hits = new AtomicIntegerArray(10);
    parallel.forRange(
        10,
        1,
        (from, to) -> {
          for (int i = from; i < to; i++) {
            hits.incrementAndGet(i);
          }
        });
    for (int i = 0; i < 10; i++) {
      assertThat(hits.get(i)).isEqualTo(1);
    }
  }

  @Test
  void shouldServeConcurrentAndNestedCallersCorrectly() throws Exception {
    final Parallel parallel = new Parallel(2);
    final ExecutorService callers = Executors.newFixedThreadPool(4);
    try {
      final Future<?>[] futures = new Future<?>[4];
      for (int c = 0; c < futures.length; c++) {
        futures[c] =
            callers.submit(
                () -> {
                  for (int round = 0; round < 500; round++) {
                    final AtomicIntegerArray hits = new AtomicIntegerArray(64);
                    parallel.forRange(
                        8,
                        1,
                        (from, to) -> {
                          for (int i = from; i < to; i++) {
                            final int outer = i;
                            parallel.forRange(
                                8,
                                1,
                                (a, b) -> {
                                  for (int j = a; j < b; j++) {
                                    hits.incrementAndGet(outer * 8 + j);
                                  }
                                });
                          }
                        });
                    for (int i = 0; i < 64; i++) {
                      assertThat(hits.get(i)).isEqualTo(1);
                    }
                  }
                  return null;
                });
      }
      for (final Future<?> f : futures) {
        f.get();
      }
    } finally {
      callers.shutdownNow();
    }
  }
}
