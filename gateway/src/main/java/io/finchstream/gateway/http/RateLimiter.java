package io.finchstream.gateway.http;

import io.vertx.core.Handler;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Per-caller token buckets: each API key (each client address when keys are off; an IPv6 client by
 * its /64, which one host can fill with addresses) may make {@code perSecond} requests per second
 * on average and {@code burst} at once; further requests get 429 with {@code Retry-After}. HTTP
 * requests, WebSocket upgrades and WebSocket frames of one caller share its bucket, and requests
 * with a wrong key are counted against their address, so that floods of them are cut too.
 *
 * <p>Bounded: at most {@code maxBuckets} callers are tracked. When a new caller comes while the map
 * is full, buckets that have refilled (idle callers) are dropped, at most once a second; if none
 * has, the new caller shares one overflow bucket with every other caller beyond the bound. Thread-
 * safe.
 */
public final class RateLimiter implements Handler<RoutingContext> {

  /** Callers tracked at most (beyond that they share one bucket). */
  public static final int MAX_BUCKETS = 100_000;

  private static final long SWEEP_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final double perNano;
  private final int burst;
  private final LongSupplier nanoClock;
  private final int maxBuckets;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final Bucket overflow;
  private long lastSweep;
  private long sweeps;

  private static final class Bucket {
    private double tokens;
    private long updated;

    Bucket(final double tokens, final long now) {
      this.tokens = tokens;
      this.updated = now;
    }
  }

  /** A limiter of at most {@value #MAX_BUCKETS} callers; {@code perSecond} 0 turns it off. */
  public RateLimiter(final double perSecond, final int burst, final LongSupplier nanoClock) {
    this(perSecond, burst, nanoClock, MAX_BUCKETS);
  }

  RateLimiter(
      final double perSecond, final int burst, final LongSupplier nanoClock, final int maxBuckets) {
    this.perNano = perSecond / TimeUnit.SECONDS.toNanos(1);
    this.burst = burst;
    this.nanoClock = nanoClock;
    this.maxBuckets = maxBuckets;
    final long now = nanoClock.getAsLong();
    this.overflow = new Bucket(burst, now);
    this.lastSweep = now - SWEEP_NANOS;
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
    final Bucket bucket = bucketOf(caller, now);
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

  private Bucket bucketOf(final String caller, final long now) {
    final Bucket known = buckets.get(caller);
    if (known != null) {
      return known;
    }
    if (buckets.size() >= maxBuckets) {
      sweep(now);
      if (buckets.size() >= maxBuckets) {
        return overflow;
      }
    }
    return buckets.computeIfAbsent(caller, k -> new Bucket(burst, now));
  }

  private synchronized void sweep(final long now) {
    if (now - lastSweep < SWEEP_NANOS) {
      return;
    }
    lastSweep = now;
    sweeps++;
    buckets
        .values()
        .removeIf(
            b -> {
              synchronized (b) {
                return refilled(b, now) >= burst;
              }
            });
  }

  private double refilled(final Bucket bucket, final long now) {
    return Math.min(burst, bucket.tokens + (now - bucket.updated) * perNano);
  }

  /** Callers tracked now. */
  public int buckets() {
    return buckets.size();
  }

  /** How often the full map was swept of idle callers. */
  synchronized long sweeps() {
    return sweeps;
  }

  /**
   * Who makes a request, for its bucket: the key id, or {@code addr:} and the client address when
   * authentication is off.
   */
  public static String caller(final RoutingContext ctx) {
    final String key = ctx.get(ApiKeyAuth.KEY_ID, ApiKeyAuth.ANONYMOUS);
    return ApiKeyAuth.ANONYMOUS.equals(key) ? addressKey(ctx.request().remoteAddress()) : key;
  }

  /** The bucket key of a client address (IPv6: its /64). */
  static String addressKey(final SocketAddress address) {
    return address == null || address.host() == null ? "addr:-" : addressKey(address.host());
  }

  static String addressKey(final String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.indexOf(':') < 0) {
      return "addr:" + h;
    }
    final int zone = h.indexOf('%');
    if (zone >= 0) {
      h = h.substring(0, zone);
    }
    // Expand "::" to the zero groups it stands for, then keep the first four groups (the /64).
    final String[] halves = h.split("::", -1);
    final String[] head = halves[0].isEmpty() ? new String[0] : halves[0].split(":");
    final String[] tail =
        halves.length > 1 && !halves[1].isEmpty() ? halves[1].split(":") : new String[0];
    final String[] groups = new String[8];
    for (int i = 0; i < 8; i++) {
      final int fromTail = i - (8 - tail.length);
      final String g =
          i < head.length ? head[i] : fromTail >= 0 && halves.length > 1 ? tail[fromTail] : "0";
      groups[i] = Integer.toHexString(g.contains(".") ? 0 : Integer.parseInt(g, 16));
    }
    return "addr:" + String.join(":", groups[0], groups[1], groups[2], groups[3]) + "::/64";
  }

  @Override
  public void handle(final RoutingContext ctx) {
    final long waitNanos = acquire(caller(ctx));
    if (waitNanos == 0) {
      ctx.next();
      return;
    }
    refuse(ctx, waitNanos);
  }

  /** Answers 429 with {@code Retry-After} for a wait of {@code waitNanos}. */
  void refuse(final RoutingContext ctx, final long waitNanos) {
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
