package io.finchstream.engine.io.ggml;

import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.CheckpointTensor;
import io.finchstream.engine.io.internal.ReshapedTensor;
import io.finchstream.engine.io.internal.Shapes;
import io.finchstream.engine.io.internal.TransposedTensor;
import java.nio.file.Path;

/**
 * Undoes what rwkv.cpp's {@code convert_pytorch_to_ggml.py} does to RWKV-6 tensors (finch-math
 * §5.2), giving back the official {@code .pth} shape (finch-math §3.1). Stored (PyTorch-order)
 * shape on the left, canonical on the right:
 *
 * <pre>
 *   time_maa_w1    [5D, C]     -> [C, 5D]     transpose
 *   time_decay_w1  [Dd, C]     -> [C, Dd]     transpose
 *   time_decay_w2  [C, Dd]     -> [Dd, C]     transpose
 *   time_maa_w2    [5, C, D]   -> [5, D, C]   transpose(1, 2)
 *   time_faaaa     [H, N, 1]   -> [H, N]      reshape
 *   time_decay     [H, N, 1]   -> [1, 1, H·N] reshape
 *   other time_*   [C]         -> [1, 1, C]   reshape (the converter squeezed them)
 *   everything else unchanged
 * </pre>
 */
final class GgmlLayout {

  private GgmlLayout() {}

  /** The canonical view of a tensor read from the file in its stored layout. */
  static CheckpointTensor canonical(final Path file, final CheckpointTensor stored) {
    final String name = stored.name();
    final long[] s = stored.shape();
    final String leaf = name.substring(name.lastIndexOf('.') + 1);
    if (!leaf.startsWith("time_")) {
      return stored;
    }
    return switch (leaf) {
      case "time_maa_w1", "time_decay_w1", "time_decay_w2" -> {
        require(file, stored, s.length == 2, "[rows, cols]");
        yield new TransposedTensor(stored);
      }
      case "time_maa_w2" -> {
        require(file, stored, s.length == 3, "[5, C, D_MIX]");
        yield new TransposedTensor(stored);
      }
      case "time_faaaa" -> {
        require(file, stored, s.length == 3 && s[2] == 1, "[H, N, 1]");
        yield new ReshapedTensor(new long[] {s[0], s[1]}, stored);
      }
      case "time_decay" -> {
        require(file, stored, s.length == 3 && s[2] == 1, "[H, N, 1]");
        yield new ReshapedTensor(new long[] {1, 1, s[0] * s[1]}, stored);
      }
      default -> {
        require(file, stored, s.length == 1, "[C] (squeezed)");
        yield new ReshapedTensor(new long[] {1, 1, s[0]}, stored);
      }
    };
  }

  private static void require(
      final Path file, final CheckpointTensor stored, final boolean ok, final String expected) {
    if (!ok) {
      throw new CheckpointException(
          file,
          "tensor "
              + stored.name()
              + " is stored with shape "
              + Shapes.str(stored.shape())
              + " but rwkv.cpp's RWKV-6 converter writes "
              + expected
              + "; the file was not made by convert_pytorch_to_ggml.py from an RWKV-6 .pth,"
              + " convert the .pth again");
    }
  }
}
