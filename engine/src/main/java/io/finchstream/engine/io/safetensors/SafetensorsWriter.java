package io.finchstream.engine.io.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.CheckpointTensor;
import io.finchstream.engine.io.DType;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a checkpoint as safetensors under its canonical names, as F32 or BF16 (rounded to nearest
 * even, like PyTorch's {@code .to(torch.bfloat16)}), tensors in the source's name order, with an
 * optional {@code __metadata__} map. The header is padded with spaces to a multiple of 8 bytes. The
 * file appears atomically (written beside it, then renamed).
 */
public final class SafetensorsWriter {

  private static final int CHUNK = 1 << 16;

  private SafetensorsWriter() {}

  /**
   * Writes {@code source} to {@code file}.
   *
   * @param dtype {@link DType#F32} or {@link DType#BF16}
   * @param metadata string pairs for {@code __metadata__}; empty for none
   * @throws CheckpointException naming the file when it cannot be written
   */
  public static void write(
      final Path file,
      final Checkpoint source,
      final DType dtype,
      final Map<String, String> metadata) {
    if (dtype != DType.F32 && dtype != DType.BF16) {
      throw new IllegalArgumentException("safetensors output must be F32 or BF16, not " + dtype);
    }
    final List<String> names = List.copyOf(source.names());
    final byte[] header = header(source, names, dtype, metadata);
    final Path tmp = file.resolveSibling(file.getFileName() + ".partial");
    try {
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), CHUNK)) {
        out.write(
            ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
        out.write(header);
        for (final String name : names) {
          writeData(out, source.tensor(name), dtype);
        }
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (final IOException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (final IOException ignored) {
        // the original error matters more
      }
      throw new CheckpointException(
          file,
          "cannot be written ("
              + e
              + "); check the directory"
              + " exists, is writable and has space",
          e);
    }
  }

  private static byte[] header(
      final Checkpoint source,
      final List<String> names,
      final DType dtype,
      final Map<String, String> metadata) {
    final Map<String, Object> json = new LinkedHashMap<>();
    if (!metadata.isEmpty()) {
      json.put("__metadata__", new LinkedHashMap<>(metadata));
    }
    final int width = dtype == DType.F32 ? 4 : 2;
    long at = 0;
    for (final String name : names) {
      final CheckpointTensor t = source.tensor(name);
      final long bytes = t.numel() * width;
      final Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("dtype", dtype == DType.F32 ? "F32" : "BF16");
      entry.put("shape", t.shape());
      entry.put("data_offsets", new long[] {at, at + bytes});
      json.put(name, entry);
      at += bytes;
    }
    final byte[] text;
    try {
      text = new ObjectMapper().writeValueAsBytes(json);
    } catch (final JsonProcessingException e) {
      throw new IllegalStateException("cannot render the safetensors header", e);
    }
    final int padded = (text.length + 7) / 8 * 8;
    final byte[] out = new byte[padded];
    System.arraycopy(text, 0, out, 0, text.length);
    Arrays.fill(out, text.length, padded, (byte) ' ');
    return out;
  }

  private static void writeData(final OutputStream out, final CheckpointTensor t, final DType dtype)
      throws IOException {
    final float[] values = new float[CHUNK];
    final int width = dtype == DType.F32 ? 4 : 2;
    final ByteBuffer buf = ByteBuffer.allocate(CHUNK * width).order(ByteOrder.LITTLE_ENDIAN);
    final long numel = t.numel();
    for (long done = 0; done < numel; ) {
      final int n = (int) Math.min(CHUNK, numel - done);
      t.readFloats(done, values, 0, n);
      buf.clear();
      for (int i = 0; i < n; i++) {
        if (dtype == DType.F32) {
          buf.putFloat(values[i]);
        } else {
          buf.putShort(toBf16(values[i]));
        }
      }
      out.write(buf.array(), 0, buf.position());
      done += n;
    }
  }

  /** float32 to bfloat16, rounding to nearest even; NaN stays a (quiet) NaN. */
  static short toBf16(final float value) {
    final int bits = Float.floatToRawIntBits(value);
    if (Float.isNaN(value)) {
      return (short) ((bits >>> 16) | 0x0040);
    }
    final int rounding = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }
}
