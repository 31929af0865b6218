package io.finchstream.gateway.http;

import io.vertx.core.Handler;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which web pages may use the API from a browser. A request that carries an {@code Origin} (every
 * browser sends one on WebSocket upgrades and on every request that is not a plain navigation) is
 * let through when the page is this server's own (the {@code Origin} names the same host and port
 * as the {@code Host}: the chat page served at {@code /}) or is listed in {@code
 * gateway.cors.origins} ({@code *}: any); otherwise it gets 403 {@code origin_not_allowed}.
 * Requests without an {@code Origin} (curl, SDKs, servers) are not browsers' and pass.
 *
 * <p>WebSockets need this most: browsers apply no CORS to them, so without the check any page could
 * open {@code ws://localhost:8080/...} and chat on a keyless gateway. Same-origin is safe to allow
 * because {@link HostCheck} runs first: a DNS-rebinding page shares the origin of its own name,
 * which {@code HostCheck} refuses. Listed cross-origin requests then get the CORS answer (headers,
 * preflights) from {@code cors}.
 */
public final class OriginCheck implements Handler<RoutingContext> {

  private final boolean anyOrigin;
  private final Set<String> origins;
  private final Optional<CorsHandler> cors;

  /**
   * @param allowed configured origins ({@code gateway.cors.origins}), e.g. {@code
   *     https://chat.example}; {@code *} for any
   * @param cors the CORS handler answering allowed cross-origin requests, if CORS is on
   */
  public OriginCheck(final List<String> allowed, final Optional<CorsHandler> cors) {
    this.anyOrigin = allowed.contains("*");
    this.origins =
        allowed.stream()
            .map(o -> o.strip().toLowerCase(Locale.ROOT))
            .collect(Collectors.toUnmodifiableSet());
    this.cors = cors;
  }

  @Override
  public void handle(final RoutingContext ctx) {
    final String origin = ctx.request().getHeader("Origin");
    if (origin == null || sameOrigin(origin, ctx.request().authority())) {
      ctx.next();
      return;
    }
    if (anyOrigin || origins.contains(origin.strip().toLowerCase(Locale.ROOT))) {
      if (cors.isPresent()) {
        cors.get().handle(ctx);
      } else {
        ctx.next();
      }
      return;
    }
    Responses.error(
        ctx,
        ApiError.forbidden(
            "origin_not_allowed",
            "pages from "
                + (origin.length() <= 80 ? "'" + origin + "'" : "another origin")
                + " may not use this API; list the origin in gateway.cors.origins to allow it"));
  }

  /**
   * Whether {@code origin} ({@code scheme://host[:port]}) names the server the request was sent to
   * ({@code authority}: its {@code Host}, or HTTP/2 {@code :authority}). A missing port means the
   * origin scheme's default on both sides.
   */
  static boolean sameOrigin(final String origin, final HostAndPort authority) {
    if (authority == null) {
      return false;
    }
    final URI uri;
    try {
      uri = new URI(origin.strip());
    } catch (final URISyntaxException e) {
      return false;
    }
    final String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    final int defaultPort =
        switch (scheme) {
          case "http" -> 80;
          case "https" -> 443;
          default -> -2;
        };
    if (defaultPort < 0 || uri.getHost() == null) {
      return false;
    }
    final int originPort = uri.getPort() < 0 ? defaultPort : uri.getPort();
    final int hostPort = authority.port() < 0 ? defaultPort : authority.port();
    return bare(uri.getHost()).equals(bare(authority.host())) && originPort == hostPort;
  }

  private static String bare(final String host) {
    final String h = host.toLowerCase(Locale.ROOT);
    return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
  }
}
