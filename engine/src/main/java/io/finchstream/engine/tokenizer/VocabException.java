package io.finchstream.engine.tokenizer;

import io.finchstream.engine.EngineException;
import java.nio.file.Path;

/**
 * A vocabulary file that cannot be used. The message names the file, the line (when known) and the
 * problem.
 */
public class VocabException extends EngineException {

  private static final long serialVersionUID = 1L;

  /** A problem with the whole file (missing, unreadable, wrong entry count). */
  public VocabException(final Path file, final String problem) {
    super(file + ": " + problem);
  }

  /** A problem with the whole file, with its cause. */
  public VocabException(final Path file, final String problem, final Throwable cause) {
    super(file + ": " + problem, cause);
  }

  /** A problem on one line (1-based). */
  public VocabException(final Path file, final int line, final String problem) {
    super(file + ":" + line + ": " + problem);
  }
}
