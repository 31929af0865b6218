package io.finchstream.processors.store;

import io.finchstream.processors.FinchstreamException;

/** A stored value that cannot be read back: a bug or a damaged store, never bad user input. */
public final class StoreCorruptedException extends FinchstreamException {

  private static final long serialVersionUID = 1L;

  public StoreCorruptedException(final String message) {
    super(message);
  }

  public StoreCorruptedException(final String message, final Throwable cause) {
    super(message, cause);
  }
}
