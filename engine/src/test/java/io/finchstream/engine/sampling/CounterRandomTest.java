package io.finchstream.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CounterRandomTest {

  @Test
  void shouldBeSplitMix64AsInTheJdk() {
    // SplittableRandom(s).nextLong() = mix64(s + γ): an independent implementation of the same
    // mixer
    for (final long seed : new long[] {0, 1, -1, 42, Long.MIN_VALUE, 0x1234_5678_9ABC_DEF0L}) {
      for (long step = 0; step < 50; step++) {
        final long start = CounterRandom.mix64(seed) + CounterRandom.GOLDEN_GAMMA * step;
        assertThat(CounterRandom.bits(seed, step))
            .isEqualTo(new SplittableRandom(start).nextLong());
      }
    }
  }

  @Test
  void shouldDependOnlyOnSeedAndStep() {
    final double late = CounterRandom.uniform(7, 1000);
    for (int k = 0; k < 1000; k++) {
      CounterRandom.uniform(7, k);
    }
    assertThat(CounterRandom.uniform(7, 1000)).isEqualTo(late);
    assertThat(CounterRandom.uniform(8, 1000)).isNotEqualTo(late);
  }

  @Test
  void shouldGiveDistinctUniformsInUnitInterval() {
    final Set<Long> seen = new HashSet<>();
    double sum = 0;
    for (int k = 0; k < 100_000; k++) {
      final double u = CounterRandom.uniform(123, k);
      assertThat(u).isGreaterThanOrEqualTo(0.0).isLessThan(1.0);
      sum += u;
      seen.add(CounterRandom.bits(123, k));
    }
    assertThat(seen).hasSize(100_000);
    assertThat(sum / 100_000).isBetween(0.497, 0.503);
  }
}
