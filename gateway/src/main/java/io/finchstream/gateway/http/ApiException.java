package io.finchstream.gateway.http;

/**
 * Thrown by request handlers to answer with an {@link ApiError}; the failure handler renders it.
 */
public final class ApiException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient ApiError error;

  public ApiException(final ApiError error) {
    super(error.message(), null, false, false);
    this.error = error;
  }

  public ApiError error() {
    return error;
  }
}
