package io.finchstream.gateway.http;

import io.vertx.core.Handler;
import io.vertx.core.json.DecodeException;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's failure and error handler: every failed request ends with a JSON {@link ApiError},
 * whether a handler threw an {@link ApiException}, the body was not JSON, the body was too large,
 * no route matched, or something unexpected broke (logged with its stack trace, answered 500).
 */
public final class Failures implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(Failures.class);

  private final long bodyLimit;

  public Failures(final long bodyLimit) {
    this.bodyLimit = bodyLimit;
  }

  @Override
  public void handle(final RoutingContext ctx) {
    Responses.error(ctx, toError(ctx));
  }

  private ApiError toError(final RoutingContext ctx) {
    final Throwable failure = ctx.failure();
    if (failure instanceof ApiException api) {
      return api.error();
    }
    if (failure instanceof DecodeException decode) {
      return ApiError.malformedJson(decode.getMessage());
    }
    final int status = ctx.statusCode();
    return switch (status) {
      case 404 ->
          ApiError.notFound(
              "not_found",
              "no such endpoint: " + ctx.request().method() + " " + ctx.request().path());
      case 405 ->
          new ApiError(
              405,
              "invalid_request_error",
              "method_not_allowed",
              ctx.request().method() + " is not allowed on " + ctx.request().path(),
              null);
      case 413 ->
          ApiError.tooLarge(
              null,
              "the request body is larger than " + bodyLimit + " bytes (gateway.body.limit.bytes)");
      case 504, 503 -> ApiError.timeout("the request took too long (gateway.request.timeout.ms)");
      case 400 ->
          ApiError.badRequest(
              "bad_request",
              failure == null ? "bad request" : "bad request: " + failure.getMessage());
      case 403 ->
          new ApiError(
              403,
              "invalid_request_error",
              "forbidden",
              failure == null ? "forbidden" : failure.getMessage(),
              null);
      default -> {
        LOG.error(
            "request {} {} failed with status {}",
            ctx.request().method(),
            ctx.request().path(),
            status,
            failure);
        yield ApiError.internal(
            "internal error"
                + (failure == null ? "" : ": " + failure.getClass().getSimpleName())
                + "; see the gateway log, request id "
                + ctx.get(AccessLog.REQUEST_ID_KEY, "-"));
      }
    };
  }
}
