package io.finchstream.engine.finch;

import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.LoadProgress;
import io.finchstream.engine.kernels.Kernels;
import io.finchstream.engine.rwkv.Norm;
import io.finchstream.engine.tensor.Matrix;
import java.util.List;

/**
 * All weights of a Finch model, immutable and shared by every thread (finch-math §3.1).
 *
 * @param config the sizes
 * @param precision in-memory precision of the matrices
 * @param emb {@code emb.weight} [V, C] row-major, with {@code blocks.0.ln0} folded in (each row
 *     already layer-normed, §2.1), always float32: a token reads one row, so its precision costs
 *     memory, not bandwidth, and keeping it exact makes bf16 weights give the same bits as fp32
 *     ones for bf16 checkpoints (all official ones)
 * @param blocks {@code blocks.0 .. blocks.L-1}
 * @param ln_out final norm {@code ln_out.weight/.bias} [C]
 * @param head {@code head.weight} [V, C] (not tied to emb)
 * @param parameters parameter count of the checkpoint (ln0 included)
 */
@SuppressWarnings("ArrayRecordComponent") // weights: read-only, never compared or hashed
public record FinchWeights(
    FinchConfig config,
    WeightPrecision precision,
    float[] emb,
    List<FinchBlock> blocks,
    Norm ln_out,
    Matrix head,
    long parameters) {

  public FinchWeights {
    blocks = List.copyOf(blocks);
  }

  /**
   * Loads and checks every tensor of a Finch checkpoint: all expected tensors present with their
   * canonical shapes, nothing left over.
   *
   * @param kernels used to fold ln0 into the embedding exactly as the model would apply it
   * @throws io.finchstream.engine.io.CheckpointException naming the file, the tensor and the fix
   */
  public static FinchWeights load(
      final Checkpoint checkpoint,
      final WeightPrecision precision,
      final Kernels kernels,
      final LoadProgress progress) {
    return new FinchWeightsLoader(checkpoint, precision, kernels, progress).load();
  }

  /** Bytes of all weights in memory. */
  public long bytes() {
    long total = 4L * emb.length + head.bytes() + 8L * config.dim();
    for (final FinchBlock b : blocks) {
      final TimeMix a = b.att();
      total += a.time_maa_w1().bytes() + a.time_decay_w1().bytes() + a.time_decay_w2().bytes();
      for (final Matrix m : a.time_maa_w2()) {
        total += m.bytes();
      }
      total +=
          a.receptance().bytes()
              + a.key().bytes()
              + a.value().bytes()
              + a.output().bytes()
              + a.gate().bytes();
      total += b.ffn().key().bytes() + b.ffn().receptance().bytes() + b.ffn().value().bytes();
      total += 4L * 16L * config.dim(); // 16 vectors of C floats per block
    }
    return total;
  }

  /** Weight bytes read per token by a decode step that computes logits (everything but emb). */
  public long bytesPerToken() {
    return bytes() - 4L * emb.length + 4L * config.dim();
  }
}
