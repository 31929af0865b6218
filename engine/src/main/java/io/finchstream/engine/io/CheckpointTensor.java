package io.finchstream.engine.io;

import java.util.Optional;

/**
 * One tensor of a {@link Checkpoint}, by its canonical (official {@code .pth}) name and shape,
 * whatever the file format stored. Values are read lazily from the file.
 */
public interface CheckpointTensor {

  /** Canonical name, e.g. {@code blocks.3.att.time_maa_w1}. */
  String name();

  /** Canonical shape (PyTorch order, C-contiguous), e.g. {@code [C, 5*D_MIX]}. */
  long[] shape();

  /** How the file stores it. */
  DType storedType();

  /** Number of elements. */
  default long numel() {
    long n = 1;
    for (final long d : shape()) {
      n *= d;
    }
    return n;
  }

  /**
   * Reads {@code count} elements starting at flat (C-order) element {@code offset}, converted to
   * float32, into {@code dst[dstOffset..]}.
   */
  void readFloats(long offset, float[] dst, int dstOffset, int count);

  /**
   * The tensor's rows as stored Q8_0 blocks, when it is a 2-D tensor stored that way (rwkv.cpp's
   * Q8_0 files); empty otherwise.
   */
  default Optional<Q8_0Rows> q8_0Rows() {
    return Optional.empty();
  }

  /** All elements as float32 (for tensors below 2^31 elements). */
  default float[] toFloats() {
    final long n = numel();
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException(name() + " has " + n + " elements; read it in pieces");
    }
    final float[] out = new float[(int) n];
    readFloats(0, out, 0, out.length);
    return out;
  }
}
