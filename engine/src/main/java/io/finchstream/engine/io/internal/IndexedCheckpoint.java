package io.finchstream.engine.io.internal;

import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.CheckpointTensor;
import java.nio.file.Path;
import java.util.Set;

/**
 * A checkpoint whose tensors were all indexed when it was opened: the file, its format, the names
 * and the lookup (a missing tensor is a {@link CheckpointException} naming the file), and closing,
 * which makes its tensors refuse to read ({@link OpenState}). The readers only parse their format.
 */
public abstract class IndexedCheckpoint implements Checkpoint {

  private final Path path;
  private final String format;
  private final TensorIndex tensors;
  private final OpenState open;

  /**
   * @param format what {@link #format()} reports, e.g. "pth"
   * @param open the open state the tensors check before reading
   */
  protected IndexedCheckpoint(
      final Path path, final String format, final TensorIndex tensors, final OpenState open) {
    this.path = path;
    this.format = format;
    this.tensors = tensors;
    this.open = open;
  }

  @Override
  public final Path path() {
    return path;
  }

  @Override
  public final String format() {
    return format;
  }

  @Override
  public final Set<String> names() {
    return tensors.names();
  }

  @Override
  public final CheckpointTensor tensor(final String name) {
    return tensors.get(name);
  }

  /** Marks the checkpoint closed: its tensors refuse to read from now on. */
  @Override
  public final void close() {
    open.close();
  }
}
