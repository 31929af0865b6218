package io.finchstream.gateway.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of every request: gives it a request id ({@code X-Request-Id}, taken from the
 * client when it sends a sane one), and when the exchange ends writes one structured access-log
 * line (logger {@code io.finchstream.gateway.access}, SLF4J key/value pairs: method, route, path,
 * status, bytes, duration_ms, key, remote, request_id, error) and records the request in the {@code
 * finchstream.gateway.http.requests} timer (tags method, route, status).
 */
public final class AccessLog implements Handler<RoutingContext> {

  /** Context key: the route template (set by the router), e.g. {@code /v1/conversations/:id}. */
  public static final String ROUTE_KEY = "finchstream.route";

  /** Context key: the error code of a failed request. */
  public static final String ERROR_CODE_KEY = "finchstream.error";

  /** Context key: the request id. */
  public static final String REQUEST_ID_KEY = "finchstream.requestId";

  private static final Logger LOG = LoggerFactory.getLogger("io.finchstream.gateway.access");
  private static final int MAX_CLIENT_ID = 64;

  private final MeterRegistry registry;

  public AccessLog(final MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void handle(final RoutingContext ctx) {
    final long start = System.nanoTime();
    final HttpServerRequest request = ctx.request();
    final String requestId = requestId(request.getHeader("X-Request-Id"));
    ctx.put(REQUEST_ID_KEY, requestId);
    ctx.response().putHeader("X-Request-Id", requestId);
    ctx.addEndHandler(ar -> record(ctx, start, requestId));
    ctx.next();
  }

  private static String requestId(final String fromClient) {
    if (fromClient != null
        && !fromClient.isEmpty()
        && fromClient.length() <= MAX_CLIENT_ID
        && fromClient.chars().allMatch(c -> c > 32 && c < 127)) {
      return fromClient;
    }
    return UUID.randomUUID().toString();
  }

  /** The method as a meter tag: the standard ones by name, anything a client made up as "other". */
  private static String methodTag(final HttpServerRequest request) {
    final String name = request.method().name();
    return switch (name) {
      case "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS" -> name;
      default -> "other";
    };
  }

  private void record(final RoutingContext ctx, final long start, final String requestId) {
    final long nanos = System.nanoTime() - start;
    final HttpServerRequest request = ctx.request();
    final String route = ctx.get(ROUTE_KEY, "unmatched");
    final int status = ctx.response().getStatusCode();
    final boolean closedEarly = !ctx.response().ended();
    Timer.builder("finchstream.gateway.http.requests")
        .description("HTTP requests by route and status (streams: until the stream ended)")
        .tag("method", methodTag(request))
        .tag("route", route)
        .tag("status", closedEarly ? "closed" : Integer.toString(status))
        .register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
    final String error = ctx.get(ERROR_CODE_KEY, "");
    final long ms = TimeUnit.NANOSECONDS.toMillis(nanos);
    LOG.atInfo()
        .addKeyValue("method", methodTag(request))
        .addKeyValue("route", route)
        .addKeyValue("path", request.path())
        .addKeyValue("status", closedEarly ? "closed" : status)
        .addKeyValue("bytes", ctx.response().bytesWritten())
        .addKeyValue("duration_ms", ms)
        .addKeyValue("key", ctx.get(ApiKeyAuth.KEY_ID, "-"))
        .addKeyValue(
            "remote", request.remoteAddress() == null ? "-" : request.remoteAddress().host())
        .addKeyValue("request_id", requestId)
        .addKeyValue("error", error)
        .log(
            "{} {} {} {} ms{}",
            methodTag(request),
            request.path(),
            closedEarly ? "closed" : status,
            ms,
            error.isEmpty() ? "" : " " + error);
  }
}
