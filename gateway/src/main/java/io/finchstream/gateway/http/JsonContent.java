package io.finchstream.gateway.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/**
 * Lets a request with a body through only when it says it is JSON: {@code Content-Type:
 * application/json}, optionally with {@code charset=utf-8}; anything else gets 415 before the body
 * is read. Besides catching clients that send forms, this closes the door browsers leave open to
 * other web sites: a page may POST {@code text/plain} or a form anywhere without asking (a "simple"
 * request, no CORS preflight), but never {@code application/json}. A POST without a content type is
 * refused too, even when empty, since a page can send that as well.
 */
public final class JsonContent implements Handler<RoutingContext> {

  @Override
  public void handle(final RoutingContext ctx) {
    final String type = ctx.request().getHeader("Content-Type");
    if (!isJson(type)) {
      Responses.error(
          ctx,
          ApiError.unsupportedMediaType(
              (type == null ? "the request has no Content-Type" : "Content-Type '" + type + "'")
                  + " is not accepted: send the body as JSON with 'Content-Type:"
                  + " application/json'"));
      return;
    }
    ctx.next();
  }

  /** {@code application/json}, with no parameter other than {@code charset=utf-8}. */
  static boolean isJson(final String contentType) {
    if (contentType == null) {
      return false;
    }
    final String[] parts = contentType.split(";", -1);
    if (!parts[0].strip().equalsIgnoreCase("application/json")) {
      return false;
    }
    for (int i = 1; i < parts.length; i++) {
      final String param = parts[i].strip().toLowerCase(Locale.ROOT).replace("\"", "");
      if (!param.isEmpty() && !param.equals("charset=utf-8")) {
        return false;
      }
    }
    return true;
  }
}
