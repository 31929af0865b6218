package io.finchstream.gateway.http;

import io.vertx.core.json.JsonObject;

/**
 * An error answer, in the shape OpenAI clients understand: {@code {"error": {"message", "type",
 * "code", "param"}}} with an HTTP status. Every 4xx and 5xx the gateway sends is one of these.
 *
 * @param status HTTP status
 * @param type broad class ({@code invalid_request_error}, {@code authentication_error}, ...)
 * @param code stable machine-readable reason, e.g. {@code invalid_parameter}
 * @param message what is wrong and how to fix it
 * @param param the offending request field, or null
 */
public record ApiError(int status, String type, String code, String message, String param) {

  private static final String INVALID = "invalid_request_error";

  public JsonObject toJson() {
    return new JsonObject()
        .put(
            "error",
            new JsonObject()
                .put("message", message)
                .put("type", type)
                .put("code", code)
                .put("param", param));
  }

  /** The error a failure stands for: an {@link ApiException}'s, else a 500 that hides it. */
  public static ApiError of(final Throwable failure) {
    return failure instanceof ApiException api
        ? api.error()
        : internal("internal error; see the gateway log");
  }

  public ApiException exception() {
    return new ApiException(this);
  }

  public static ApiError badRequest(final String code, final String message) {
    return new ApiError(400, INVALID, code, message, null);
  }

  public static ApiError invalidParameter(final String param, final String message) {
    return new ApiError(400, INVALID, "invalid_parameter", message, param);
  }

  public static ApiError malformedJson(final String detail) {
    return new ApiError(
        400, INVALID, "malformed_json", "the request body is not valid JSON: " + detail, null);
  }

  public static ApiError unauthorized(final String message) {
    return new ApiError(401, "authentication_error", "invalid_api_key", message, null);
  }

  public static ApiError notFound(final String code, final String message) {
    return new ApiError(404, INVALID, code, message, null);
  }

  public static ApiError conflict(final String code, final String message) {
    return new ApiError(409, INVALID, code, message, null);
  }

  /** A turn of a conversation that is older than its oldest retained snapshot. */
  public static ApiError turnNotRetained(final String param, final String message) {
    return new ApiError(410, INVALID, "turn_not_retained", message, param);
  }

  public static ApiError tooLarge(final String param, final String message) {
    return new ApiError(413, INVALID, "payload_too_large", message, param);
  }

  public static ApiError unsupportedMediaType(final String message) {
    return new ApiError(415, INVALID, "unsupported_media_type", message, null);
  }

  public static ApiError forbidden(final String code, final String message) {
    return new ApiError(403, "permission_error", code, message, null);
  }

  public static ApiError rateLimited(final String message) {
    return new ApiError(429, "rate_limit_error", "rate_limited", message, null);
  }

  public static ApiError internal(final String message) {
    return new ApiError(500, "server_error", "internal_error", message, null);
  }

  public static ApiError unavailable(final String code, final String message) {
    return new ApiError(503, "server_error", code, message, null);
  }

  public static ApiError timeout(final String message) {
    return new ApiError(504, "server_error", "timeout", message, null);
  }
}
