package io.finchstream.engine.kernels;

/** Which {@link Kernels} implementation to use. */
public enum KernelKind {
  /**
   * {@link #VECTOR} when the Vector API module is present, else {@link #SCALAR}; the system
   * property {@code -Dfinchstream.kernels=scalar} forces {@link #SCALAR}.
   */
  AUTO,
  /** {@link ScalarKernels}: the plain-Java reference. */
  SCALAR,
  /** {@link VectorKernels}: the Vector API implementation (widest preferred species). */
  VECTOR;

  /** {@link #SCALAR} or {@link #VECTOR}: this kind, with {@link #AUTO} decided for this JVM. */
  public KernelKind resolve() {
    if (this != AUTO) {
      return this;
    }
    final boolean forcedScalar =
        "scalar".equalsIgnoreCase(System.getProperty("finchstream.kernels"));
    final boolean vectorApi = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    return forcedScalar || !vectorApi ? SCALAR : VECTOR;
  }
}
