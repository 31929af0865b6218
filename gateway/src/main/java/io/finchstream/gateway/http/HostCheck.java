package io.finchstream.gateway.http;

import io.vertx.core.Handler;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * DNS-rebinding protection: refuses (403 {@code host_not_allowed}) a request whose {@code Host}
 * names this server by a name it does not know. A web page at {@code http://evil.example:8080} can
 * make its name resolve to 127.0.0.1 and then read a keyless gateway as if it were its own site
 * (same origin for the browser); the request still says {@code Host: evil.example:8080}.
 *
 * <p>Always accepted: IP literals (a browser sends one only when the page itself was loaded from
 * that address, so no rebinding is involved) and {@code localhost}. Names in {@code
 * gateway.allowed.hosts} are accepted too ({@code *}: any). When that list is empty, any name is
 * accepted while API keys are required (a rebinding page has no key), and none other than the above
 * while they are off. The port is not checked: rebinding changes the name, not the port, and a port
 * forwarded by a container or proxy may differ from the one the server listens on.
 */
public final class HostCheck implements Handler<RoutingContext> {

  private final boolean anyHost;
  private final Set<String> names;

  /**
   * @param allowed configured host names ({@code gateway.allowed.hosts}); {@code *} for any
   * @param keysRequired whether API keys are required (then an empty list means any host)
   */
  public HostCheck(final List<String> allowed, final boolean keysRequired) {
    this.anyHost = allowed.contains("*") || (allowed.isEmpty() && keysRequired);
    this.names = allowed.stream().map(HostCheck::normalize).collect(Collectors.toUnmodifiableSet());
  }

  @Override
  public void handle(final RoutingContext ctx) {
    if (anyHost) {
      ctx.next();
      return;
    }
    // Host in HTTP/1.1, :authority in HTTP/2
    final HostAndPort authority = ctx.request().authority();
    if (authority == null || !allowed(authority.host())) {
      Responses.error(
          ctx,
          ApiError.forbidden(
              "host_not_allowed",
              "this gateway does not answer to the host name "
                  + (authority == null ? "(none)" : "'" + abbreviate(authority.host()) + "'")
                  + "; use localhost or an IP address, or list the name in gateway.allowed.hosts"));
      return;
    }
    ctx.next();
  }

  private boolean allowed(final String host) {
    final String name = normalize(host);
    return name.equals("localhost") || isIpLiteral(name) || names.contains(name);
  }

  private static String normalize(final String host) {
    String h = host.strip().toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }

  /** A dotted-quad IPv4 or an IPv6 literal (brackets removed), checked without DNS. */
  static boolean isIpLiteral(final String host) {
    if (host.indexOf(':') >= 0) {
      return host.chars()
          .allMatch(c -> c == ':' || c == '.' || c == '%' || Character.digit(c, 16) >= 0);
    }
    final String[] parts = host.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (final String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
        return false;
      }
      if (Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  private static String abbreviate(final String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }
}
