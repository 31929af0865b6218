package io.finchstream.engine.io;

import io.finchstream.engine.EngineException;
import java.nio.file.Path;

/** A checkpoint file that cannot be used. The message names the file, the problem and a fix. */
public class CheckpointException extends EngineException {

  private static final long serialVersionUID = 1L;

  public CheckpointException(final Path file, final String problem) {
    super(file + ": " + problem);
  }

  public CheckpointException(final Path file, final String problem, final Throwable cause) {
    super(file + ": " + problem, cause);
  }
}
