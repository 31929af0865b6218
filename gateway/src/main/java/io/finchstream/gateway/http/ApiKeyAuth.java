package io.finchstream.gateway.http;

import io.finchstream.gateway.GatewayConfig;
import io.finchstream.proto.TenantKeys;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Bearer API keys. With no keys configured every request passes (as {@value #ANONYMOUS}). Otherwise
 * a request needs {@code Authorization: Bearer KEY} with a configured key; WebSocket upgrades may
 * pass it as the {@code access_token} query parameter instead, because browsers cannot set headers
 * on them. Keys are compared as SHA-256 digests in constant time, and identified in logs and rate
 * limits by a short digest prefix ({@code key-1a2b3c4d}), never by the key itself.
 *
 * <p>Each key belongs to a tenant, which the request then acts for ({@link #tenant}): its
 * conversations are those of that tenant only ({@link TenantKeys}). Without keys every request is
 * of the default tenant.
 */
public final class ApiKeyAuth implements Handler<RoutingContext> {

  /** Context key: the caller's key id, or {@value #ANONYMOUS}. */
  public static final String KEY_ID = "finchstream.keyId";

  /** Key id of requests when authentication is off. */
  public static final String ANONYMOUS = "anonymous";

  /** Context key: the caller's tenant. */
  public static final String TENANT = "finchstream.tenant";

  @SuppressWarnings("ArrayRecordComponent") // digests compared with MessageDigest.isEqual only
  private record Known(byte[] digest, String tenant) {}

  private final List<Known> digests;
  private final RateLimiter limiter;

  /**
   * @param limiter counts requests with a missing or wrong key against their address (a flood of
   *     them gets 429 instead of 401)
   */
  public ApiKeyAuth(final List<GatewayConfig.ApiKey> keys, final RateLimiter limiter) {
    this.digests = keys.stream().map(k -> new Known(sha256(k.secret()), k.tenant())).toList();
    this.limiter = limiter;
  }

  @Override
  public void handle(final RoutingContext ctx) {
    if (digests.isEmpty()) {
      ctx.put(KEY_ID, ANONYMOUS);
      ctx.put(TENANT, TenantKeys.DEFAULT_TENANT);
      ctx.next();
      return;
    }
    final String key = presented(ctx);
    if (key == null) {
      if (limited(ctx)) {
        return;
      }
      Responses.error(
          ctx,
          ApiError.unauthorized(
              "missing API key: send the header 'Authorization: Bearer YOUR_KEY'"));
      return;
    }
    final byte[] digest = sha256(key);
    String tenant = null;
    for (final Known k : digests) {
      if (MessageDigest.isEqual(k.digest(), digest)) {
        tenant = k.tenant(); // no early exit: every key is compared
      }
    }
    if (tenant == null) {
      if (limited(ctx)) {
        return;
      }
      Responses.error(
          ctx,
          ApiError.unauthorized(
              "wrong API key: it is not one of the keys configured in gateway.api.keys"));
      return;
    }
    ctx.put(KEY_ID, keyId(digest));
    ctx.put(TENANT, tenant);
    ctx.next();
  }

  /** The tenant a request acts for (after this handler). */
  public static String tenant(final RoutingContext ctx) {
    final String tenant = ctx.get(TENANT);
    if (tenant == null) {
      throw new IllegalStateException("no tenant: the request did not pass ApiKeyAuth");
    }
    return tenant;
  }

  /** The Kafka key of conversation {@code id} of the request's tenant. */
  public static String conversationKey(final RoutingContext ctx, final String id) {
    return TenantKeys.key(tenant(ctx), id);
  }

  private boolean limited(final RoutingContext ctx) {
    final long wait = limiter.acquire("unauthenticated " + RateLimiter.caller(ctx));
    if (wait > 0) {
      limiter.refuse(ctx, wait);
      return true;
    }
    return false;
  }

  private static String presented(final RoutingContext ctx) {
    final String header = ctx.request().getHeader("Authorization");
    if (header != null) {
      final int space = header.indexOf(' ');
      if (space > 0 && header.substring(0, space).equalsIgnoreCase("Bearer")) {
        final String key = header.substring(space + 1).strip();
        return key.isEmpty() ? null : key;
      }
      return null;
    }
    if (ctx.request().headers().contains("Upgrade", "websocket", true)) {
      return ctx.request().getParam("access_token");
    }
    return null;
  }

  /** The id of {@code key} in logs and metrics. */
  public static String keyId(final String key) {
    return keyId(sha256(key));
  }

  private static String keyId(final byte[] digest) {
    return "key-" + HexFormat.of().formatHex(digest, 0, 4);
  }

  private static byte[] sha256(final String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (final NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-256", e);
    }
  }
}
