package io.finchstream.engine.io;

import io.finchstream.engine.io.ggml.GgmlCheckpoint;
import io.finchstream.engine.io.internal.MappedFile;
import io.finchstream.engine.io.safetensors.SafetensorsCheckpoint;
import io.finchstream.engine.io.torch.TorchCheckpoint;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Opens a checkpoint of any supported format, recognised by its content (never by its file name
 * extension): rwkv.cpp ggml (magic {@code 66 6d 67 67}), PyTorch {@code .pth} (a zip archive,
 * {@code PK\3\4}) and safetensors (8-byte header length, then a JSON object).
 */
public final class Checkpoints {

  /** The formats, for error messages. */
  public static final String SUPPORTED =
      "supported formats: official RWKV .pth (torch.save zip archive), safetensors (F32/F16/BF16),"
          + " rwkv.cpp ggml version 101 (FP32/FP16/Q5_1/Q8_0)";

  private static final int SNIFF_BYTES = 16;

  private Checkpoints() {}

  /** What the first bytes of a file say it is. */
  enum Format {
    GGML,
    PTH,
    SAFETENSORS,
    GGUF,
    LEGACY_PICKLE,
    UNKNOWN
  }

  /** {@link #open(Path, LoadProgress)} without progress reports. */
  public static Checkpoint open(final Path file) {
    return open(file, LoadProgress.NONE);
  }

  /**
   * Opens the checkpoint, choosing the reader from the file content. A {@code .pth} file is read
   * once in full to check its CRC-32s (progress reports the bytes verified); the other formats are
   * only indexed and mapped.
   *
   * @throws CheckpointException naming the file when it is missing, of an unknown format or
   *     malformed
   */
  public static Checkpoint open(final Path file, final LoadProgress progress) {
    final Format format = sniff(file);
    return switch (format) {
      case GGML -> GgmlCheckpoint.open(file, progress);
      case SAFETENSORS -> SafetensorsCheckpoint.open(file, progress);
      case PTH -> TorchCheckpoint.open(file, progress, true);
      case GGUF ->
          throw new CheckpointException(
              file,
              "is a llama.cpp GGUF file, which Finchstream does not read; use the original"
                  + " .pth or safetensors instead ("
                  + SUPPORTED
                  + ")");
      case LEGACY_PICKLE ->
          throw new CheckpointException(
              file,
              "is a bare pickle (the pre-1.6 torch.save format), not a zip archive; re-save it"
                  + " with a current PyTorch: torch.save(torch.load(f), out) ("
                  + SUPPORTED
                  + ")");
      case UNKNOWN ->
          throw new CheckpointException(
              file,
              "content is not a recognised checkpoint (first bytes "
                  + hexHead(file)
                  + "); "
                  + SUPPORTED);
    };
  }

  /** Recognises the format from the first bytes of the file. */
  static Format sniff(final Path file) {
    try (MappedFile in = MappedFile.open(file)) {
      final ByteBuffer b = in.read(0, SNIFF_BYTES);
      final int n = b.remaining();
      if (n >= 4 && b.getInt(0) == GgmlCheckpoint.MAGIC) {
        return Format.GGML;
      }
      if (n >= 4 && b.get(0) == 'P' && b.get(1) == 'K' && b.get(2) == 3 && b.get(3) == 4) {
        return Format.PTH;
      }
      if (n >= 4 && b.get(0) == 'G' && b.get(1) == 'G' && b.get(2) == 'U' && b.get(3) == 'F') {
        return Format.GGUF;
      }
      if (n >= 9 && b.get(8) == '{') {
        final long headerLen = b.getLong(0);
        if (headerLen >= 2 && headerLen <= in.size() - 8) {
          return Format.SAFETENSORS;
        }
      }
      if (n >= 2 && (b.get(0) & 0xFF) == 0x80 && b.get(1) >= 2 && b.get(1) <= 5) {
        return Format.LEGACY_PICKLE;
      }
      return Format.UNKNOWN;
    }
  }

  private static String hexHead(final Path file) {
    try (MappedFile in = MappedFile.open(file)) {
      final ByteBuffer b = in.read(0, 8);
      final StringBuilder s = new StringBuilder();
      while (b.hasRemaining()) {
        s.append(String.format("%02x ", b.get() & 0xFF));
      }
      return s.length() == 0 ? "none, the file is empty" : s.toString().trim();
    }
  }
}
