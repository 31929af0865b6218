package io.finchstream.engine.sampling;

import io.finchstream.engine.EngineException;

/**
 * A sampling parameter outside its allowed range. The message names the parameter (as in the HTTP
 * API, e.g. {@code top_p}), the allowed range and the value; {@link #parameter()} gives the name
 * alone so callers can turn it into an HTTP 400 or a dead letter.
 */
public class InvalidParameterException extends EngineException {

  private static final long serialVersionUID = 1L;

  private final String parameter;

  /** {@code parameter} must be {@code allowed}, but was {@code value}. */
  public InvalidParameterException(
      final String parameter, final String allowed, final Object value) {
    super(parameter + " must be " + allowed + ", got " + value);
    this.parameter = parameter;
  }

  /** The parameter's API name, e.g. {@code top_p}. */
  public String parameter() {
    return parameter;
  }
}
