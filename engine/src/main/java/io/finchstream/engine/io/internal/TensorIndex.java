package io.finchstream.engine.io.internal;

import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.CheckpointTensor;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The tensors of one checkpoint by canonical name, in file order, immutable once built. */
public final class TensorIndex {

  private final Path path;
  private final Map<String, CheckpointTensor> tensors;

  private TensorIndex(final Path path, final Map<String, CheckpointTensor> tensors) {
    this.path = path;
    this.tensors = Collections.unmodifiableMap(tensors);
  }

  /** An index that collects tensors of the file {@code path}. */
  public static Builder builder(final Path path) {
    return new Builder(path);
  }

  /** Canonical names in file order. */
  public Set<String> names() {
    return tensors.keySet();
  }

  /** Number of tensors. */
  public int size() {
    return tensors.size();
  }

  /** The tensor, or null. */
  public CheckpointTensor find(final String name) {
    return tensors.get(name);
  }

  /**
   * The tensor.
   *
   * @throws CheckpointException naming the file and the missing tensor
   */
  public CheckpointTensor get(final String name) {
    final CheckpointTensor t = tensors.get(name);
    if (t == null) {
      throw new CheckpointException(
          path,
          "has no tensor "
              + name
              + " (it has "
              + tensors.size()
              + " tensors); use a complete"
              + " checkpoint of the expected model");
    }
    return t;
  }

  /** Collects tensors and refuses duplicates. */
  public static final class Builder {
    private final Path path;
    private final Map<String, CheckpointTensor> tensors = new LinkedHashMap<>();

    private Builder(final Path path) {
      this.path = path;
    }

    /** Whether a name was added already. */
    public boolean has(final String name) {
      return tensors.containsKey(name);
    }

    /** The tensor added under that name, or null. */
    public CheckpointTensor find(final String name) {
      return tensors.get(name);
    }

    /**
     * Adds a tensor under its {@link CheckpointTensor#name()}.
     *
     * @throws CheckpointException when the name is already taken
     */
    public Builder add(final CheckpointTensor tensor) {
      if (tensors.putIfAbsent(tensor.name(), tensor) != null) {
        throw new CheckpointException(
            path,
            "tensor " + tensor.name() + " appears twice; the file is corrupt, write it again");
      }
      return this;
    }

    /** Number of tensors so far. */
    public int size() {
      return tensors.size();
    }

    /** The immutable index. */
    public TensorIndex build() {
      return new TensorIndex(path, new LinkedHashMap<>(tensors));
    }
  }
}
