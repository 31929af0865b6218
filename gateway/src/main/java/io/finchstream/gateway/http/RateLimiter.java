package io.finchstream.gateway.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Per-caller token buckets: each API key (each client address when keys are off) may make {@code
 * perSecond} requests per second on average and {@code burst} at once; further requests get 429
 * with {@code Retry-After}. Thread-safe; idle full buckets are dropped when many callers appear.
 */
public final class RateLimiter implements Handler<RoutingContext> {

  private static final int MAX_BUCKETS = 100_000;

  private final double perNano;
  private final int burst;
  private final LongSupplier nanoClock;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  private static final class Bucket {
    private double tokens;
    private long updated;

    Bucket(final double tokens, final long now) {
      this.tokens = tokens;
      this.updated = now;
    }
  }

  /** A limiter; {@code perSecond} 0 turns it off. */
  public RateLimiter(final double perSecond, final int burst, final LongSupplier nanoClock) {
    this.perNano = perSecond / TimeUnit.SECONDS.toNanos(1);
    this.burst = burst;
    this.nanoClock = nanoClock;
  }

  /**
   * Takes one request's token from {@code caller}'s bucket.
   *
   * @return 0 when allowed, else the nanoseconds until a token is available
   */
  public long acquire(final String caller) {
    if (perNano <= 0) {
      return 0;
    }
    final long now = nanoClock.getAsLong();
    if (buckets.size() > MAX_BUCKETS) {
      buckets.values().removeIf(b -> refilled(b, now) >= burst);
    }
    final Bucket bucket = buckets.computeIfAbsent(caller, k -> new Bucket(burst, now));
    synchronized (bucket) {
      bucket.tokens = refilled(bucket, now);
      bucket.updated = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return (long) Math.ceil((1 - bucket.tokens) / perNano);
    }
  }

  private double refilled(final Bucket bucket, final long now) {
    return Math.min(burst, bucket.tokens + (now - bucket.updated) * perNano);
  }

  @Override
  public void handle(final RoutingContext ctx) {
    final String key = ctx.get(ApiKeyAuth.KEY_ID, ApiKeyAuth.ANONYMOUS);
    final String caller =
        ApiKeyAuth.ANONYMOUS.equals(key) && ctx.request().remoteAddress() != null
            ? "addr:" + ctx.request().remoteAddress().host()
            : key;
    final long waitNanos = acquire(caller);
    if (waitNanos == 0) {
      ctx.next();
      return;
    }
    final long seconds =
        Math.max(1, TimeUnit.NANOSECONDS.toSeconds(waitNanos + TimeUnit.SECONDS.toNanos(1) - 1));
    ctx.response().putHeader("Retry-After", Long.toString(seconds));
    Responses.error(
        ctx,
        ApiError.rateLimited(
            "rate limit exceeded: at most "
                + String.format(Locale.ROOT, "%.3g", perNano * 1e9)
                + " requests per second with bursts of "
                + burst
                + " (gateway.rate.limit.*); retry in "
                + seconds
                + " s"));
  }
}
