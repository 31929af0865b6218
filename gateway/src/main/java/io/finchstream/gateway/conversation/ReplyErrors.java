package io.finchstream.gateway.conversation;

import io.finchstream.gateway.http.ApiError;
import io.finchstream.proto.v1.Error;
import java.util.Locale;

/**
 * Maps an error reply of the processors to the HTTP error the client gets: their reason for errors
 * of the request (bad parameters, unknown conversation, ...), only the code for their own failures.
 */
public final class ReplyErrors {

  private ReplyErrors() {}

  public static ApiError toApiError(final Error error) {
    final String code = error.getCode().name().toLowerCase(Locale.ROOT);
    final String message = error.getMessage().isEmpty() ? code : error.getMessage();
    return switch (error.getCode()) {
      case INVALID_PARAMETERS,
          TOKEN_OUT_OF_RANGE,
          MALFORMED_EVENT,
          UNKNOWN_EVENT_TYPE,
          INVALID_KEY,
          UNSUPPORTED_SCHEMA_VERSION ->
          ApiError.badRequest(code, message);
      case PAYLOAD_TOO_LARGE -> ApiError.tooLarge(null, message);
      case UNKNOWN_CONVERSATION -> ApiError.notFound(code, message);
      case TURN_NOT_RETAINED -> ApiError.turnNotRetained(null, message);
      case CONVERSATION_EXISTS, DUPLICATE_REQUEST, HISTORY_CHANGED ->
          ApiError.conflict(code, message);
      case DEFERRED_QUEUE_FULL -> new ApiError(429, "rate_limit_error", code, message, null);
      // the code OpenAI clients know for a prompt past the model's context
      case CONVERSATION_TOO_LONG -> ApiError.badRequest("context_length_exceeded", message);
      // Not the client's doing: what went wrong inside (exception texts, stores) stays in the
      // processors' log, where the code and the request's id find it.
      default ->
          new ApiError(
              502,
              "server_error",
              code,
              "the processors could not complete this request ("
                  + code
                  + "); retry, or see their log",
              null);
    };
  }
}
