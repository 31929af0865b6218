package io.finchstream.engine.rwkv;

import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.CheckpointTensor;
import io.finchstream.engine.io.LoadProgress;
import io.finchstream.engine.io.Q8_0Rows;
import io.finchstream.engine.tensor.Matrix;
import io.finchstream.engine.tensor.PanelLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Reads the tensors of a checkpoint into model weights, strictly: {@link #checkNames} first (every
 * expected tensor present with its canonical shape, nothing left over), then tensor by tensor with
 * load progress. Shared by the Finch and GoldFinch loaders.
 */
public final class WeightReader {

  /** Elements converted per step for big matrices (bounds the temporary float buffer). */
  private static final int BLOCK_ELEMENTS = 1 << 20;

  private static final int MAX_NAMES_IN_MESSAGE = 12;

  /** Transforms rows of a matrix in place while it is read (e.g. ln0 folded into emb). */
  @FunctionalInterface
  public interface RowTransform {
    /** {@code rows [n, cols]} in place. */
    void apply(float[] rows, int n);
  }

  private final Checkpoint checkpoint;
  private final WeightPrecision precision;
  private final LoadProgress progress;
  private long totalBytes;
  private long doneBytes;

  public WeightReader(
      final Checkpoint checkpoint, final WeightPrecision precision, final LoadProgress progress) {
    this.checkpoint = checkpoint;
    this.precision = precision;
    this.progress = progress;
  }

  /** The checkpoint being read. */
  public Checkpoint checkpoint() {
    return checkpoint;
  }

  /** The precision of the matrices this reader produces. */
  public WeightPrecision precision() {
    return precision;
  }

  /**
   * Checks that every expected tensor is present with its shape and that nothing is left over;
   * returns the parameter count and sets the progress total.
   *
   * @param model how the expected model is described in messages, e.g. "a Finch model with L=2 ..."
   * @param missingFix what to do when tensors are missing
   * @param leftoverFix what to do when there are unexpected tensors
   * @throws CheckpointException naming the file, the tensors and the fix
   */
  public long checkNames(
      final Map<String, long[]> expected,
      final String model,
      final String missingFix,
      final String leftoverFix) {
    final TreeSet<String> missing = new TreeSet<>();
    long parameters = 0;
    for (final Map.Entry<String, long[]> e : expected.entrySet()) {
      parameters += Arrays.stream(e.getValue()).reduce(1, (a, b) -> a * b);
      if (!checkpoint.has(e.getKey())) {
        missing.add(e.getKey());
        continue;
      }
      final long[] shape = checkpoint.tensor(e.getKey()).shape();
      if (!Arrays.equals(shape, e.getValue())) {
        throw new CheckpointException(
            checkpoint.path(),
            "tensor '"
                + e.getKey()
                + "' has shape "
                + Arrays.toString(shape)
                + " but "
                + model
                + " needs "
                + Arrays.toString(e.getValue())
                + "; the file is damaged or mixes models: re-export it");
      }
    }
    if (!missing.isEmpty()) {
      throw new CheckpointException(
          checkpoint.path(),
          missing.size()
              + " tensor(s) missing for "
              + model
              + ": "
              + names(missing)
              + "; "
              + missingFix);
    }
    final TreeSet<String> leftover = new TreeSet<>(checkpoint.names());
    leftover.removeAll(expected.keySet());
    if (!leftover.isEmpty()) {
      throw new CheckpointException(
          checkpoint.path(),
          leftover.size()
              + " unexpected tensor(s) for "
              + model
              + ": "
              + names(leftover)
              + "; "
              + leftoverFix);
    }
    totalBytes = 4 * parameters;
    return parameters;
  }

  private static String names(final SortedSet<String> names) {
    final List<String> shown = names.stream().limit(MAX_NAMES_IN_MESSAGE).toList();
    return String.join(", ", shown) + (names.size() > shown.size() ? ", ..." : "");
  }

  /** {@code .weight} and {@code .bias} of a LayerNorm or GroupNorm. */
  public Norm norm(final String prefix) {
    return new Norm(vector(prefix + ".weight"), vector(prefix + ".bias"));
  }

  /** A small tensor, flattened to float32. */
  public float[] vector(final String name) {
    final CheckpointTensor tensor = checkpoint.tensor(name);
    final float[] values = tensor.toFloats();
    advance(values.length);
    return values;
  }

  /**
   * A small .pth matrix [rows, cols] that the model holds transposed: [cols, rows] (a LoRA, so that
   * it is applied as {@code y = W·x} like every other matrix).
   */
  public Matrix transposed(final String name, final int rows, final int cols) {
    return transposed(vector(name), rows, cols);
  }

  /**
   * Each block of a stacked .pth tensor {@code [blocks, rows, cols]}, held transposed [cols, rows].
   */
  public Matrix[] transposedSlices(
      final String name, final int blocks, final int rows, final int cols) {
    final float[] stacked = vector(name);
    final Matrix[] out = new Matrix[blocks];
    for (int b = 0; b < blocks; b++) {
      out[b] =
          transposed(
              Arrays.copyOfRange(stacked, b * rows * cols, (b + 1) * rows * cols), rows, cols);
    }
    return out;
  }

  // LoRAs are small: never quantized (WeightPrecision.INT8 keeps them in bf16)
  private Matrix transposed(final float[] values, final int rows, final int cols) {
    final float[] t = new float[values.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        t[c * rows + r] = values[r * cols + c];
      }
    }
    return Matrix.of(t, cols, rows, precision.unquantized());
  }

  /**
   * A matrix [rows, cols] as stored (a Linear weight [out, in]), at the reader's precision; for
   * INT8, a tensor stored as Q8_0 blocks is taken as it is (no dequantization).
   */
  public Matrix matrix(final String name, final int rows, final int cols) {
    final CheckpointTensor tensor = checkpoint.tensor(name);
    if (precision == WeightPrecision.INT8 && tensor.q8_0Rows().isPresent()) {
      return storedQ8_0(tensor, tensor.q8_0Rows().get(), rows, cols);
    }
    return read(tensor, rows, cols, null, precision);
  }

  /**
   * A matrix [rows, cols] never quantized: at the reader's precision, or bf16 for INT8 (the head,
   * which rwkv.cpp keeps unquantized too, and GoldFinch's embedding).
   */
  public Matrix unquantizedMatrix(final String name, final int rows, final int cols) {
    return read(checkpoint.tensor(name), rows, cols, null, precision.unquantized());
  }

  /**
   * A matrix read block by block (no temporary copy of a big tensor), each block of rows passed
   * through {@code transform} when given, stored at the reader's precision.
   */
  public Matrix matrix(
      final String name, final int rows, final int cols, final RowTransform transform) {
    return read(checkpoint.tensor(name), rows, cols, transform, precision);
  }

  private Matrix read(
      final CheckpointTensor tensor,
      final int rows,
      final int cols,
      final RowTransform transform,
      final WeightPrecision as) {
    final int blockRows = Math.max(1, BLOCK_ELEMENTS / cols);
    final Matrix.Builder builder = Matrix.builder(rows, cols, as);
    final float[] buffer = new float[Math.min(rows, blockRows) * cols];
    for (int r0 = 0; r0 < rows; r0 += blockRows) {
      final int n = Math.min(blockRows, rows - r0);
      tensor.readFloats((long) r0 * cols, buffer, 0, n * cols);
      if (transform != null) {
        transform.apply(buffer, n);
      }
      try {
        builder.rows(r0, buffer, 0, n);
      } catch (final IllegalArgumentException e) {
        throw new CheckpointException(
            checkpoint.path(), "tensor '" + tensor.name() + "': " + e.getMessage());
      }
      advance((long) n * cols);
    }
    return builder.build();
  }

  // An INT8 matrix from Q8_0 rows as stored: quants and fp16 scales copied, nothing requantized.
  private Matrix storedQ8_0(
      final CheckpointTensor tensor, final Q8_0Rows stored, final int rows, final int cols) {
    final Matrix.Builder builder = Matrix.builder(rows, cols, WeightPrecision.INT8);
    final byte[] quants = new byte[cols];
    final short[] scales = new short[PanelLayout.blocks(cols)];
    for (int r = 0; r < rows; r++) {
      stored.readQ8_0Row(r, quants, 0, scales, 0);
      for (final short d : scales) {
        if (!Float.isFinite(Float.float16ToFloat(d))) {
          throw new CheckpointException(
              checkpoint.path(),
              "tensor '"
                  + tensor.name()
                  + "' has a Q8_0 block with a non-finite scale in row "
                  + r
                  + "; the file is damaged: quantize it again");
        }
      }
      builder.quantizedRow(r, quants, 0, scales, 0);
      advance(cols);
    }
    return builder.build();
  }

  /**
   * A matrix [rows, cols] kept row-major in float32 whatever the precision (for row lookups such as
   * the embedding), read block by block, each block passed through {@code transform} when given.
   */
  public float[] rowMajor(
      final String name, final int rows, final int cols, final RowTransform transform) {
    final CheckpointTensor tensor = checkpoint.tensor(name);
    final long n = (long) rows * cols;
    if (n > Integer.MAX_VALUE - 8) {
      throw new CheckpointException(
          checkpoint.path(),
          "tensor '"
              + name
              + "' has "
              + n
              + " elements, more than one Java array holds; this model is too large for this engine");
    }
    final float[] out = new float[(int) n];
    final int blockRows = Math.max(1, BLOCK_ELEMENTS / cols);
    final float[] buffer = transform == null ? null : new float[Math.min(rows, blockRows) * cols];
    for (int r0 = 0; r0 < rows; r0 += blockRows) {
      final int k = Math.min(blockRows, rows - r0);
      if (transform == null) {
        tensor.readFloats((long) r0 * cols, out, r0 * cols, k * cols);
      } else {
        tensor.readFloats((long) r0 * cols, buffer, 0, k * cols);
        transform.apply(buffer, k);
        System.arraycopy(buffer, 0, out, r0 * cols, k * cols);
      }
      advance((long) k * cols);
    }
    return out;
  }

  /** Reports the end of loading. */
  public void done() {
    progress.update("weights", totalBytes, totalBytes);
  }

  private void advance(final long elements) {
    doneBytes += 4 * elements;
    progress.update("weights", Math.min(doneBytes, totalBytes), totalBytes);
  }
}
