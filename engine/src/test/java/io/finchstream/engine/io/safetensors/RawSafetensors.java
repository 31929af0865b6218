package io.finchstream.engine.io.safetensors;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a safetensors file from a literal header and data bytes, so either can be wrong. */
final class RawSafetensors {

  private RawSafetensors() {}

  static Path write(final Path file, final String header, final byte[] data) throws IOException {
    final byte[] h = header.getBytes(StandardCharsets.UTF_8);
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
    out.writeBytes(h);
    out.writeBytes(data);
    return Files.write(file, out.toByteArray());
  }

  /** Little-endian bytes of float32 values. */
  static byte[] f32(final float... values) {
    final ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (final float v : values) {
      b.putFloat(v);
    }
    return b.array();
  }

  /** Little-endian bytes of 16-bit patterns. */
  static byte[] u16(final int... bits) {
    final ByteBuffer b = ByteBuffer.allocate(2 * bits.length).order(ByteOrder.LITTLE_ENDIAN);
    for (final int v : bits) {
      b.putShort((short) v);
    }
    return b.array();
  }

  static byte[] concat(final byte[]... parts) {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (final byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
