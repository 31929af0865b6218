package io.finchstream.engine.finch;

import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.CheckpointTensor;
import io.finchstream.engine.io.LoadProgress;
import io.finchstream.engine.kernels.Kernels;
import io.finchstream.engine.tensor.Bf16;
import io.finchstream.engine.tensor.Bf16Matrix;
import io.finchstream.engine.tensor.F32Matrix;
import io.finchstream.engine.tensor.Matrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Reads a checkpoint into {@link FinchWeights}: strict checks first, then tensor by tensor. */
final class FinchWeightsLoader {

  /** Elements converted per step for big matrices (bounds the temporary float buffer). */
  private static final int BLOCK_ELEMENTS = 1 << 20;
  private static final int MAX_NAMES_IN_MESSAGE = 12;

  private final Checkpoint checkpoint;
  private final WeightPrecision precision;
  private final Kernels kernels;
  private final LoadProgress progress;
  private FinchConfig config;
  private long totalBytes;
  private long doneBytes;

  FinchWeightsLoader(
      final Checkpoint checkpoint, final WeightPrecision precision, final Kernels kernels,
      final LoadProgress progress) {
    this.checkpoint = checkpoint;
    this.precision = precision;
    this.kernels = kernels;
    this.progress = progress;
  }

  FinchWeights load() {
    config = FinchConfig.infer(checkpoint);
    final Map<String, long[]> expected = FinchLayout.tensors(config);
    checkNames(expected);
    long parameters = 0;
    for (final long[] shape : expected.values()) {
      parameters += Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    }
    totalBytes = 4 * parameters;
    final int c = config.dim();
    final Norm ln0 = norm("blocks.0.ln0");
    final Matrix emb = matrix("emb.weight", config.vocabSize(), c, ln0);
    final List<FinchBlock> blocks = new ArrayList<>(config.layers());
    for (int i = 0; i < config.layers(); i++) {
      final String b = "blocks." + i + ".";
      blocks.add(new FinchBlock(norm(b + "ln1"), norm(b + "ln2"), timeMix(b + "att."), channelMix(b + "ffn.")));
    }
    final Norm lnOut = norm("ln_out");
    final Matrix head = matrix("head.weight", config.vocabSize(), c, null);
    progress.update("weights", totalBytes, totalBytes);
    return new FinchWeights(config, precision, emb, blocks, lnOut, head, parameters);
  }

  private TimeMix timeMix(final String a) {
    final int c = config.dim();
    final int dMix = config.mixRank();
    final int dDecay = config.decayRank();
    final float[] w2 = vector(a + "time_maa_w2"); // [5, D_MIX, C]
    final Matrix[] w2t = new Matrix[FinchConfig.MIX_BRANCHES];
    for (int f = 0; f < w2t.length; f++) {
      w2t[f] = transposed(Arrays.copyOfRange(w2, f * dMix * c, (f + 1) * dMix * c), dMix, c);
    }
    return new TimeMix(
        vector(a + "time_maa_x"),
        vector(a + "time_maa_w"),
        vector(a + "time_maa_k"),
        vector(a + "time_maa_v"),
        vector(a + "time_maa_r"),
        vector(a + "time_maa_g"),
        transposed(vector(a + "time_maa_w1"), c, FinchConfig.MIX_BRANCHES * dMix),
        w2t,
        vector(a + "time_decay"),
        transposed(vector(a + "time_decay_w1"), c, dDecay),
        transposed(vector(a + "time_decay_w2"), dDecay, c),
        vector(a + "time_faaaa"),
        matrix(a + "receptance.weight", c, c, null),
        matrix(a + "key.weight", c, c, null),
        matrix(a + "value.weight", c, c, null),
        matrix(a + "output.weight", c, c, null),
        matrix(a + "gate.weight", c, c, null),
        norm(a + "ln_x"));
  }

  private ChannelMix channelMix(final String f) {
    final int c = config.dim();
    final int ffn = config.ffnDim();
    return new ChannelMix(
        vector(f + "time_maa_k"),
        vector(f + "time_maa_r"),
        matrix(f + "key.weight", ffn, c, null),
        matrix(f + "receptance.weight", c, c, null),
        matrix(f + "value.weight", c, ffn, null));
  }

  /** Every expected tensor present with its shape; no tensor left over. */
  private void checkNames(final Map<String, long[]> expected) {
    final TreeSet<String> missing = new TreeSet<>();
    for (final Map.Entry<String, long[]> e : expected.entrySet()) {
      if (!checkpoint.has(e.getKey())) {
        missing.add(e.getKey());
        continue;
      }
      final long[] shape = checkpoint.tensor(e.getKey()).shape();
      if (!Arrays.equals(shape, e.getValue())) {
        throw new CheckpointException(checkpoint.path(), "tensor '" + e.getKey() + "' has shape "
            + Arrays.toString(shape) + " but a Finch model with " + config + " needs "
            + Arrays.toString(e.getValue()) + "; the file is damaged or mixes models: re-export it");
      }
    }
    if (!missing.isEmpty()) {
      throw new CheckpointException(checkpoint.path(), missing.size() + " tensor(s) missing for a Finch"
          + " model with " + config + ": " + names(missing)
          + "; the file is truncated or not a complete RWKV-6 state dict: re-export it");
    }
    final TreeSet<String> leftover = new TreeSet<>(checkpoint.names());
    leftover.removeAll(expected.keySet());
    if (!leftover.isEmpty()) {
      throw new CheckpointException(checkpoint.path(), leftover.size() + " unexpected tensor(s) for a"
          + " Finch (RWKV-6) model: " + names(leftover) + "; the file is another architecture or"
          + " carries extra tensors (e.g. a tuned time_state): export the plain RWKV-6 state dict");
    }
  }

  private static String names(final TreeSet<String> names) {
    final List<String> shown = names.stream().limit(MAX_NAMES_IN_MESSAGE).toList();
    return String.join(", ", shown) + (names.size() > shown.size() ? ", ..." : "");
  }

  private Norm norm(final String prefix) {
    return new Norm(vector(prefix + ".weight"), vector(prefix + ".bias"));
  }

  /** A small tensor, flattened to float32. */
  private float[] vector(final String name) {
    final CheckpointTensor tensor = checkpoint.tensor(name);
    final float[] values = tensor.toFloats();
    advance(values.length);
    return values;
  }

  /** A small .pth matrix [rows, cols] that the model holds transposed: [cols, rows]. */
  private Matrix transposed(final float[] values, final int rows, final int cols) {
    final float[] t = new float[values.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        t[c * rows + r] = values[r * cols + c];
      }
    }
    return Matrix.of(t, cols, rows, precision);
  }

  /**
   * A matrix read block by block (no temporary copy of a big tensor), each row layer-normed by
   * {@code fold} when given (ln0 into emb), stored at the model's precision.
   */
  private Matrix matrix(final String name, final int rows, final int cols, final Norm fold) {
    final CheckpointTensor tensor = checkpoint.tensor(name);
    final int blockRows = Math.max(1, BLOCK_ELEMENTS / cols);
    final boolean fp32 = precision == WeightPrecision.FP32;
    final float[] f32 = fp32 ? new float[rows * cols] : null;
    final short[] bf16 = fp32 ? null : new short[rows * cols];
    final float[] buffer = fp32 ? null : new float[Math.min(rows, blockRows) * cols];
    for (int r0 = 0; r0 < rows; r0 += blockRows) {
      final int n = Math.min(blockRows, rows - r0);
      final float[] target = fp32 ? f32 : buffer;
      final int offset = fp32 ? r0 * cols : 0;
      tensor.readFloats((long) r0 * cols, target, offset, n * cols);
      if (fold != null) {
        final float[] rowsBuf = fp32 ? Arrays.copyOfRange(target, offset, offset + n * cols) : target;
        kernels.layerNorm(rowsBuf, rowsBuf, n, fold.weight(), fold.bias(), FinchConfig.LAYER_NORM_EPS);
        if (fp32) {
          System.arraycopy(rowsBuf, 0, f32, offset, n * cols);
        }
      }
      if (!fp32) {
        Bf16.narrow(buffer, 0, bf16, r0 * cols, n * cols);
      }
      advance((long) n * cols);
    }
    return fp32 ? new F32Matrix(f32, rows, cols) : new Bf16Matrix(bf16, rows, cols);
  }

  private void advance(final long elements) {
    doneBytes += 4 * elements;
    progress.update("weights", Math.min(doneBytes, totalBytes), totalBytes);
  }
}
