package io.finchstream.engine.kernels;

/**
 * {@link AttentionKernels} on the Vector API at one {@link VectorWidth}: the attention's dot
 * products, softmax exponentials and weighted sums of values run in vector lanes, bit-identical to
 * {@link ScalarAttentionKernels} at every width (the same float operations per element, in the same
 * order; dot products in the fixed order of {@link LaneSums}).
 *
 * <p>Each width is its own final class ({@link VectorAttentionKernels512} and the 256- and 128-bit
 * classes generated from it at build time), so the species is a compile-time constant in the hot
 * loops.
 */
public abstract sealed class VectorAttentionKernels extends ScalarAttentionKernels
    permits VectorAttentionKernels128, VectorAttentionKernels256, VectorAttentionKernels512 {

  private final VectorWidth width;

  VectorAttentionKernels(final Parallel parallel, final VectorWidth width) {
    super(parallel);
    this.width = width;
  }

  /** The attention kernels of that width on the threads of {@code parallel}. */
  public static VectorAttentionKernels create(final VectorWidth width, final Parallel parallel) {
    return switch (width) {
      case W128 -> new VectorAttentionKernels128(parallel);
      case W256 -> new VectorAttentionKernels256(parallel);
      case W512 -> new VectorAttentionKernels512(parallel);
    };
  }

  /** The vector width of these kernels. */
  public final VectorWidth width() {
    return width;
  }

  @Override
  public final String name() {
    return "vector-" + width.bits();
  }
}
