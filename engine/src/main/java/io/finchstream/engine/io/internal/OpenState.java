package io.finchstream.engine.io.internal;

import java.nio.file.Path;

/** Whether a checkpoint is still open; its tensors refuse to read after close. */
public final class OpenState {

  private final Path path;
  private volatile boolean closed;

  public OpenState(final Path path) {
    this.path = path;
  }

  /** Marks the checkpoint closed. */
  public void close() {
    closed = true;
  }

  /**
   * Fails when the checkpoint was closed.
   *
   * @throws IllegalStateException naming the file and tensor
   */
  public void check(final String tensor) {
    if (closed) {
      throw new IllegalStateException(
          path
              + ": checkpoint is closed; tensor "
              + tensor
              + " can no longer be read"
              + " (copy what you need before closing)");
    }
  }
}
