package io.finchstream.engine.kernels;

/**
 * {@link Kernels} on the Vector API at one {@link VectorWidth}: the matmul, the norms, the
 * element-wise steps (including the exp-based sigmoid, SiLU and decay, through the vector twin of
 * {@link FastExp}) and the WKV recurrence are vectorised; only {@code tanh} (on the small LoRA
 * vectors) is inherited from {@link ScalarKernels}.
 *
 * <p>Every kernel does exactly the float operations of its scalar twin per element, in the same
 * order: the matmul is one FMA chain per output, the norms' sums follow {@link LaneSums} (16
 * partial sums are the lanes of one 512-bit, two 256-bit or four 128-bit vectors), and everything
 * else is element-wise. So the results are bit-identical to {@link ScalarKernels} at every width: a
 * state computed on an AVX-512 machine continues bit for bit on an AVX2 one, or on a JVM without
 * the Vector API.
 *
 * <p>Each width is its own final class ({@link VectorKernels512} and the 256- and 128-bit classes
 * generated from it at build time), so that the species is a compile-time constant in every hot
 * loop: the Vector API compiles a loop over a non-constant species into slow generic code.
 */
public abstract sealed class VectorKernels extends ScalarKernels
    permits VectorKernels128, VectorKernels256, VectorKernels512 {

  private final VectorWidth width;

  VectorKernels(final Parallel parallel, final VectorWidth width) {
    super(parallel);
    this.width = width;
  }

  /** The kernels of that width on the threads of {@code parallel}. */
  public static VectorKernels create(final VectorWidth width, final Parallel parallel) {
    return switch (width) {
      case W128 -> new VectorKernels128(parallel);
      case W256 -> new VectorKernels256(parallel);
      case W512 -> new VectorKernels512(parallel);
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
