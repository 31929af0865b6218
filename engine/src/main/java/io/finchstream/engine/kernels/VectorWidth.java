package io.finchstream.engine.kernels;

import java.util.Optional;
import jdk.incubator.vector.FloatVector;

/**
 * The vector widths the {@link VectorKernels} exist for. Each width has its own compiled kernels
 * (the species is a compile-time constant in every hot loop, which the Vector API needs to run at
 * full speed), and the Vector API runs every width on any machine (narrower ones natively, wider
 * ones emulated, slowly): the tests run all three.
 */
public enum VectorWidth {
  /** 128-bit vectors: 4 float lanes (SSE, NEON). */
  W128(128),
  /** 256-bit vectors: 8 float lanes (AVX2). */
  W256(256),
  /** 512-bit vectors: 16 float lanes (AVX-512). */
  W512(512);

  /** System property that picks the width of {@link KernelKind#VECTOR}: 128, 256 or 512. */
  public static final String PROPERTY = "finchstream.vector.bits";

  private final int bits;

  VectorWidth(final int bits) {
    this.bits = bits;
  }

  /** Bits per vector. */
  public int bits() {
    return bits;
  }

  /** Float lanes per vector. */
  public int lanes() {
    return bits / Float.SIZE;
  }

  /** The width of that many bits. */
  public static VectorWidth ofBits(final int bits) {
    for (final VectorWidth w : values()) {
      if (w.bits == bits) {
        return w;
      }
    }
    throw new IllegalArgumentException(
        "vector width " + bits + " bits is not one of 128, 256, 512");
  }

  /**
   * The width {@link KernelKind#VECTOR} uses: {@value #PROPERTY} when set, else the machine's
   * preferred width; empty when the machine's preferred width is none of ours (narrower than 128
   * bits), where {@link KernelKind#AUTO} falls back to the scalar kernels.
   */
  public static Optional<VectorWidth> configured() {
    final String forced = System.getProperty(PROPERTY);
    if (forced != null && !forced.isBlank()) {
      return Optional.of(ofBits(Integer.parseInt(forced.trim())));
    }
    final int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
    for (final VectorWidth w : values()) {
      if (w.bits == preferred) {
        return Optional.of(w);
      }
    }
    return preferred > W512.bits ? Optional.of(W512) : Optional.empty();
  }
}
