package io.finchstream.engine.finch;

import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.CheckpointTensor;
import java.util.Arrays;

/**
 * Every hyper-parameter of a Finch (RWKV-6) model, inferred from the checkpoint's tensor shapes
 * (finch-math §1).
 *
 * @param layers L, number of blocks
 * @param dim C, embedding width (= dim_att)
 * @param heads H, WKV heads ({@code time_faaaa.shape[0]})
 * @param headSize N = C / H (64 for released models, 8 for the rwkv.cpp tiny ones)
 * @param ffnDim F, ChannelMix hidden width ({@code ffn.key.weight.shape[0]})
 * @param mixRank D_MIX, token-shift LoRA rank ({@code time_maa_w1.shape[1] / 5})
 * @param decayRank D_DECAY, decay LoRA rank ({@code time_decay_w1.shape[1]})
 * @param vocabSize V, rows of emb and head
 */
public record FinchConfig(
    int layers,
    int dim,
    int heads,
    int headSize,
    int ffnDim,
    int mixRank,
    int decayRank,
    int vocabSize) {

  /** GroupNorm eps of ln_x: 1e-5 · head_size_divisor² = 64e-5 (§2.4). */
  public static final float GROUP_NORM_EPS = 64e-5f;

  /** The five token-shift LoRA branches, in checkpoint order w, k, v, r, g (§2.2, §7.3). */
  public static final int MIX_BRANCHES = 5;

  public FinchConfig {
    if (layers < 1
        || dim < 1
        || heads < 1
        || headSize < 1
        || ffnDim < 1
        || mixRank < 1
        || decayRank < 1
        || vocabSize < 1
        || heads * headSize != dim) {
      throw new IllegalArgumentException(
          "inconsistent Finch sizes: "
              + describe(layers, dim, heads, headSize, ffnDim, mixRank, decayRank, vocabSize));
    }
  }

  /** The standard sizes for a model of {@code layers × dim} (F = 3.5·C rounded down to 32, §1). */
  public static FinchConfig standard(
      final int layers, final int dim, final int headSize, final int vocabSize) {
    if (headSize < 1 || dim % headSize != 0) {
      throw new IllegalArgumentException(
          "dim " + dim + " is not a multiple of head size " + headSize);
    }
    final int ffn = ((int) (dim * 3.5 / 32)) * 32;
    final boolean big = dim >= 4096;
    return new FinchConfig(
        layers,
        dim,
        dim / headSize,
        headSize,
        Math.max(32, ffn),
        big ? 64 : 32,
        big ? 128 : 64,
        vocabSize);
  }

  /**
   * Infers the sizes from a checkpoint's canonical tensors (§1, §3.1).
   *
   * @throws CheckpointException naming the file and the tensor when it is not a Finch checkpoint
   */
  public static FinchConfig infer(final Checkpoint checkpoint) {
    final long[] emb = shape(checkpoint, "emb.weight", 2);
    int layers = 0;
    while (checkpoint.has("blocks." + layers + ".ln1.weight")) {
      layers++;
    }
    if (layers == 0) {
      throw new CheckpointException(
          checkpoint.path(),
          "no tensor 'blocks.0.ln1.weight': not an RWKV checkpoint with blocks; use an RWKV-6 (Finch) model");
    }
    final long[] faaaa = shape(checkpoint, "blocks.0.att.time_faaaa", 2);
    final long[] ffnKey = shape(checkpoint, "blocks.0.ffn.key.weight", 2);
    final long[] maaW1 = shape(checkpoint, "blocks.0.att.time_maa_w1", 2);
    final long[] decayW1 = shape(checkpoint, "blocks.0.att.time_decay_w1", 2);
    if (maaW1[1] % MIX_BRANCHES != 0) {
      throw new CheckpointException(
          checkpoint.path(),
          "tensor 'blocks.0.att.time_maa_w1' has shape "
              + Arrays.toString(maaW1)
              + "; its second dimension must be 5·D_MIX (w, k, v, r, g)");
    }
    try {
      return new FinchConfig(
          layers,
          (int) emb[1],
          (int) faaaa[0],
          (int) faaaa[1],
          (int) ffnKey[0],
          (int) (maaW1[1] / MIX_BRANCHES),
          (int) decayW1[1],
          (int) emb[0]);
    } catch (final IllegalArgumentException e) {
      throw new CheckpointException(
          checkpoint.path(),
          e.getMessage()
              + " (from emb.weight "
              + Arrays.toString(emb)
              + " and blocks.0.att.time_faaaa "
              + Arrays.toString(faaaa)
              + "); the checkpoint is not a consistent Finch model",
          e);
    }
  }

  private static long[] shape(final Checkpoint checkpoint, final String name, final int rank) {
    if (!checkpoint.has(name)) {
      throw new CheckpointException(
          checkpoint.path(),
          "missing tensor '"
              + name
              + "': not a Finch (RWKV-6) checkpoint (those have att.time_maa_* tensors); check the file");
    }
    final CheckpointTensor tensor = checkpoint.tensor(name);
    final long[] shape = tensor.shape();
    if (shape.length != rank
        || Arrays.stream(shape).anyMatch(d -> d < 1 || d > Integer.MAX_VALUE)) {
      throw new CheckpointException(
          checkpoint.path(),
          "tensor '"
              + name
              + "' has shape "
              + Arrays.toString(shape)
              + " but a Finch model needs a rank-"
              + rank
              + " tensor there");
    }
    return shape;
  }

  /** Floats of the recurrent state: per layer att shift C, ffn shift C, WKV H·N·N (§2.6). */
  public long stateFloatsPerLayer() {
    return 2L * dim + (long) heads * headSize * headSize;
  }

  @Override
  public String toString() {
    return describe(layers, dim, heads, headSize, ffnDim, mixRank, decayRank, vocabSize);
  }

  private static String describe(
      final int l,
      final int c,
      final int h,
      final int n,
      final int f,
      final int dMix,
      final int dDecay,
      final int v) {
    return "L="
        + l
        + " C="
        + c
        + " H="
        + h
        + " N="
        + n
        + " F="
        + f
        + " D_MIX="
        + dMix
        + " D_DECAY="
        + dDecay
        + " V="
        + v;
  }
}
