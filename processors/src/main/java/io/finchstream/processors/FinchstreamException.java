package io.finchstream.processors;

/** The root of every error the processors throw on purpose. */
public class FinchstreamException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public FinchstreamException(final String message) {
    super(message);
  }

  public FinchstreamException(final String message, final Throwable cause) {
    super(message, cause);
  }
}
