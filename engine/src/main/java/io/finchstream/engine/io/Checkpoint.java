package io.finchstream.engine.io;

import java.nio.file.Path;
import java.util.Set;

/**
 * An opened checkpoint file of any supported format, seen through canonical tensor names and shapes
 * (the official RWKV {@code .pth} layout), so that model code never depends on the file format.
 * Readers close the file (and unmap it) on {@link #close()}.
 */
public interface Checkpoint extends AutoCloseable {

  /** The file. */
  Path path();

  /** The on-disk format, e.g. "pth", "safetensors", "ggml". */
  String format();

  /** All canonical tensor names. */
  Set<String> names();

  /** Whether a tensor exists. */
  default boolean has(final String name) {
    return names().contains(name);
  }

  /**
   * The tensor of that canonical name.
   *
   * @throws CheckpointException naming the file and the missing tensor when it is absent
   */
  CheckpointTensor tensor(String name);

  @Override
  void close();
}
