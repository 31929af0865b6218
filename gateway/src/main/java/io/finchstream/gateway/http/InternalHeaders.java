package io.finchstream.gateway.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * Refuses (400 {@code internal_header}) client requests that carry a header only gateways send each
 * other: a client could otherwise pose as a forwarding gateway (force 503s, or make the gateway
 * poll for a write that never happened).
 */
public final class InternalHeaders implements Handler<RoutingContext> {

  /** Headers of gateway-to-gateway requests (and of older versions' forwarded reads). */
  public static final List<String> NAMES =
      List.of(PeerSignature.HEADER, "X-Finchstream-After", "X-Finchstream-Forwarded");

  @Override
  public void handle(final RoutingContext ctx) {
    for (final String name : NAMES) {
      if (ctx.request().headers().contains(name)) {
        Responses.error(
            ctx,
            ApiError.badRequest(
                "internal_header",
                "the header "
                    + name
                    + " is internal to the gateways of a cluster; clients may not send it"));
        return;
      }
    }
    ctx.next();
  }
}
