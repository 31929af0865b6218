package io.finchstream.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  @Test
  void shouldAllowABurstThenTheSteadyRate() {
    final RateLimiter limiter = new RateLimiter(2, 3, now::get);
    assertThat(limiter.acquire("k")).isZero();
    assertThat(limiter.acquire("k")).isZero();
    assertThat(limiter.acquire("k")).isZero();
    final long wait = limiter.acquire("k");
    assertThat(wait)
        .as("the 4th request waits for half a second of refill")
        .isEqualTo(TimeUnit.MILLISECONDS.toNanos(500));
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(500));
    assertThat(limiter.acquire("k")).isZero();
    assertThat(limiter.acquire("k")).isPositive();
  }

  @Test
  void shouldKeepOneBucketPerCaller() {
    final RateLimiter limiter = new RateLimiter(1, 1, now::get);
    assertThat(limiter.acquire("a")).isZero();
    assertThat(limiter.acquire("a")).isPositive();
    assertThat(limiter.acquire("b")).isZero();
  }

  @Test
  void shouldNeverRefillAboveTheBurst() {
    final RateLimiter limiter = new RateLimiter(10, 2, now::get);
    limiter.acquire("k");
    now.addAndGet(TimeUnit.HOURS.toNanos(1));
    assertThat(limiter.acquire("k")).isZero();
    assertThat(limiter.acquire("k")).isZero();
    assertThat(limiter.acquire("k")).isPositive();
  }

  @Test
  void shouldLetEverythingThroughWhenOff() {
    final RateLimiter limiter = new RateLimiter(0, 1, now::get);
    for (int i = 0; i < 1000; i++) {
      assertThat(limiter.acquire("k")).isZero();
    }
  }
}
