package io.finchstream.processors.conversation;

import io.finchstream.processors.FinchstreamException;

/** A conversation whose stored state belongs to another model than the one this service runs. */
final class ModelMismatchException extends FinchstreamException {

  private static final long serialVersionUID = 1L;

  ModelMismatchException(final String conversation, final String stored, final String served) {
    super(
        "conversation "
            + conversation
            + " was created with model "
            + stored
            + ", but this service runs model "
            + served
            + "; Reset or Delete the conversation, or serve the model it was created with");
  }
}
