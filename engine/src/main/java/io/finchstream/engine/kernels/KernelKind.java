package io.finchstream.engine.kernels;

/**
 * Which {@link Kernels} implementation to use. Every choice computes the same bits (see the
 * determinism contract of {@link Kernels}); they differ only in speed.
 */
public enum KernelKind {
  /**
   * {@link #VECTOR} when the Vector API module is present and the machine's vectors are at least
   * 128 bits wide, else {@link #SCALAR}; the system property {@code -Dfinchstream.kernels=scalar}
   * forces {@link #SCALAR}.
   */
  AUTO,
  /** {@link ScalarKernels}: the plain-Java reference. */
  SCALAR,
  /**
   * {@link VectorKernels} at the machine's preferred width, or at the width of {@code
   * -Dfinchstream.vector.bits} (see {@link VectorWidth#configured}).
   */
  VECTOR,
  /** {@link VectorKernels} on 128-bit vectors, whatever the machine prefers. */
  VECTOR_128,
  /** {@link VectorKernels} on 256-bit vectors, whatever the machine prefers. */
  VECTOR_256,
  /** {@link VectorKernels} on 512-bit vectors, whatever the machine prefers. */
  VECTOR_512;

  /** This kind with {@link #AUTO} decided for this JVM: {@link #SCALAR} or a vector kind. */
  public KernelKind resolve() {
    if (this != AUTO) {
      return this;
    }
    final boolean forcedScalar =
        "scalar".equalsIgnoreCase(System.getProperty("finchstream.kernels"));
    final boolean vectorApi = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    return forcedScalar || !vectorApi || VectorWidth.configured().isEmpty() ? SCALAR : VECTOR;
  }

  /** The vector width of a resolved vector kind. */
  VectorWidth width() {
    return switch (this) {
      case VECTOR_128 -> VectorWidth.W128;
      case VECTOR_256 -> VectorWidth.W256;
      case VECTOR_512 -> VectorWidth.W512;
      case VECTOR ->
          VectorWidth.configured()
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "this machine's vectors are narrower than 128 bits; use the scalar"
                              + " kernels"));
      case AUTO, SCALAR -> throw new IllegalStateException(this + " has no vector width");
    };
  }

  /** The vector kind of that width. */
  public static KernelKind of(final VectorWidth width) {
    return switch (width) {
      case W128 -> VECTOR_128;
      case W256 -> VECTOR_256;
      case W512 -> VECTOR_512;
    };
  }
}
