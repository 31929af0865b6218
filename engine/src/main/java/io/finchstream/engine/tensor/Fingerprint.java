package io.finchstream.engine.tensor;

import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.CheckpointTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.TreeSet;

/**
 * A stable fingerprint of a checkpoint's weights: SHA-256 over the architecture, every tensor name
 * and shape (sorted by name) and a sample of each tensor's values as float32 (4 windows of 16
 * elements; all of them for small tensors). Independent of the file format and of the in-memory
 * precision, cheap for multi-GB files (a few thousand elements read).
 */
public final class Fingerprint {

  private static final int WINDOW = 16;
  private static final int WINDOWS = 4;

  private Fingerprint() {}

  /** 64 lower-case hex digits. */
  public static String of(final Checkpoint checkpoint, final String architecture) {
    final MessageDigest sha = sha256();
    sha.update(architecture.getBytes(StandardCharsets.UTF_8));
    final float[] sample = new float[WINDOW * WINDOWS];
    for (final String name : new TreeSet<>(checkpoint.names())) {
      final CheckpointTensor tensor = checkpoint.tensor(name);
      final long[] shape = tensor.shape();
      final ByteBuffer head =
          ByteBuffer.allocate(4 + 8 * shape.length)
              .order(ByteOrder.LITTLE_ENDIAN)
              .putInt(shape.length);
      for (final long d : shape) {
        head.putLong(d);
      }
      sha.update((byte) 0);
      sha.update(name.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(head.array());
      final int count = sample(tensor, sample);
      final ByteBuffer values = ByteBuffer.allocate(4 * count).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < count; i++) {
        values.putInt(Float.floatToIntBits(sample[i]));
      }
      sha.update(values.array());
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  // Reads the sampled values into `out`; returns how many.
  private static int sample(final CheckpointTensor tensor, final float[] out) {
    final long n = tensor.numel();
    if (n <= out.length) {
      tensor.readFloats(0, out, 0, (int) n);
      return (int) n;
    }
    for (int w = 0; w < WINDOWS; w++) {
      final long start =
          (n - WINDOW) * w / (WINDOWS - 1) / 32 * 32; // block-aligned for quantised files
      tensor.readFloats(start, out, w * WINDOW, WINDOW);
    }
    return out.length;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (final NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
