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

  @Test
  void shouldKeepAtMostItsBoundOfBucketsAndShareOneBeyondIt() {
    final RateLimiter limiter = new RateLimiter(1, 2, now::get, 10);
    for (int i = 0; i < 10; i++) {
      assertThat(limiter.acquire("caller-" + i)).isZero();
    }
    assertThat(limiter.buckets()).isEqualTo(10);
    // Every bucket is in use (not full): callers beyond the bound share one overflow bucket.
    assertThat(limiter.acquire("new-1")).isZero();
    assertThat(limiter.acquire("new-2")).isZero();
    assertThat(limiter.acquire("new-3")).as("the shared bucket is empty").isPositive();
    for (int i = 0; i < 1_000; i++) {
      limiter.acquire("flood-" + i);
    }
    assertThat(limiter.buckets()).isEqualTo(10);
    assertThat(limiter.sweeps())
        .as("a full map is swept at most once a second, not on every new caller")
        .isEqualTo(1);
    now.addAndGet(TimeUnit.SECONDS.toNanos(10));
    assertThat(limiter.acquire("later")).isZero();
    assertThat(limiter.sweeps()).isEqualTo(2);
    assertThat(limiter.buckets()).as("refilled buckets were dropped").isEqualTo(1);
  }

  @Test
  void shouldCountAnIpv6CallerByItsSlash64() {
    assertThat(RateLimiter.addressKey("2001:db8:1:2:3:4:5:6"))
        .isEqualTo(RateLimiter.addressKey("2001:db8:1:2:ffff:ffff:ffff:ffff"))
        .isNotEqualTo(RateLimiter.addressKey("2001:db8:1:3::1"));
    assertThat(RateLimiter.addressKey("[2001:db8::1]"))
        .isEqualTo(RateLimiter.addressKey("2001:db8:0:0:9::"));
    assertThat(RateLimiter.addressKey("127.0.0.1"))
        .isNotEqualTo(RateLimiter.addressKey("127.0.0.2"));
  }
}
