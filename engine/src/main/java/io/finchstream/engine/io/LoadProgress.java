package io.finchstream.engine.io;

/** Progress of a long load, in bytes; the CLI renders it on the terminal. */
@FunctionalInterface
public interface LoadProgress {

  /** Called from the loading thread, with monotonically increasing {@code done <= total}. */
  void update(String phase, long done, long total);

  /** Reports nothing. */
  LoadProgress NONE = (phase, done, total) -> {};
}
