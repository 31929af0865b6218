package io.finchstream.gateway.http;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Writing JSON answers and errors. */
public final class Responses {

  public static final String JSON = "application/json; charset=utf-8";

  private Responses() {}

  /** Ends the exchange with {@code status} and {@code body} as JSON. */
  public static void json(final RoutingContext ctx, final int status, final JsonObject body) {
    final HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) {
      return;
    }
    response.setStatusCode(status).putHeader("Content-Type", JSON).end(body.encode());
  }

  /** Ends the exchange with {@code error}. */
  public static void error(final RoutingContext ctx, final ApiError error) {
    final HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) {
      return;
    }
    if (response.headWritten()) {
      // A stream that has started cannot change its status: end it; the stream writer reports the
      // error in-band.
      response.end();
      return;
    }
    ctx.put(AccessLog.ERROR_CODE_KEY, error.code());
    if ((error.status() == 429 || error.status() == 503)
        && !response.headers().contains("Retry-After")) {
      response.putHeader("Retry-After", "1");
    }
    if (error.status() == 401) {
      response.putHeader("WWW-Authenticate", "Bearer");
    }
    json(ctx, error.status(), error.toJson());
  }
}
