package io.finchstream.engine;

/**
 * The root of every error the engine throws on purpose: bad checkpoints, bad input, bad state
 * bytes. Messages name the thing that is wrong and, where possible, how to fix it.
 */
public class EngineException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public EngineException(final String message) {
    super(message);
  }

  public EngineException(final String message, final Throwable cause) {
    super(message, cause);
  }
}
