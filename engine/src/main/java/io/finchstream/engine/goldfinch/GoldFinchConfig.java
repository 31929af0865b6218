package io.finchstream.engine.goldfinch;

import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.CheckpointException;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sizes of a GoldFinch model, inferred from checkpoint shapes; the layer split from the keys
 * (goldfinch-math §1: {@code att.receptance.weight} means Finch-C2, {@code att.query.weight} means
 * GOLD; Finch-C2 blocks come first).
 *
 * <p>Legend (goldfinch-math §0): {@code C} = n_embd = A (dim_att), {@code N} head size, {@code H =
 * A/N} heads, {@code F} dim_ffn, {@code R} compressed key width, {@code L = L_F + G}.
 *
 * @param vocab V, rows of {@code emb.weight} and {@code head.weight}
 * @param dim C = A
 * @param heads H
 * @param headSize N (from {@code time_faaaa [H, N]}; 64 in the released models)
 * @param ffn F
 * @param compressed R ({@code w_kv_cache_a [R, C]}; C/16 in the released models)
 * @param finchLayers L_F, blocks {@code 0..L_F-1}
 * @param goldLayers G, blocks {@code L_F..L-1}
 * @param mixRank D_MIX of the Finch-C2 ddlerp LoRA ({@code time_maa_w1 [C, 5·D_MIX]})
 * @param decayRank rank of the decay LoRA ({@code time_decay_w1 [C, D]})
 * @param value2Rank rank of the second-value LoRA ({@code time_value2_w1 [C, D]})
 * @param queryRank rank of the GOLD query-shift LoRA ({@code time_maa_q_w1 [C, D]})
 * @param kvMixRank rank of each half of the GOLD kv-shift LoRA ({@code time_maa_kv_w2 [2, D, C]})
 * @param kvRank DVL, rank of the GOLD key/value "loradapt" ({@code time_key_w1 [C, DVL]})
 * @param ropeTheta RoPE base for the GOLD queries and keys, 0 for none (the main checkpoints have
 *     no positional encoding; only {@code goldfinch_rope10k.pth} uses θ = 10000, goldfinch-math
 *     §4.2)
 */
public record GoldFinchConfig(
    int vocab,
    int dim,
    int heads,
    int headSize,
    int ffn,
    int compressed,
    int finchLayers,
    int goldLayers,
    int mixRank,
    int decayRank,
    int value2Rank,
    int queryRank,
    int kvMixRank,
    int kvRank,
    double ropeTheta) {

  private static final Pattern BLOCK_KEY = Pattern.compile("^blocks\\.(\\d+)\\.");
  private static final Pattern ROPE_IN_NAME =
      Pattern.compile("rope(\\d+)k", Pattern.CASE_INSENSITIVE);

  /** The kind of a block, read from its keys. */
  public enum BlockKind {
    /** Finch-C2 time mix (goldfinch-math §2). */
    FINCH_C2,
    /** GOLD attention (goldfinch-math §4). */
    GOLD
  }

  /**
   * The standard sizes of a GoldFinch model of {@code layers × dim} (goldfinch-math §0, §1, §6.2):
   * L_F = floor(2L/3) Finch-C2 blocks, F = 3.5·C rounded down to 32, R = C/16, DVL = max(C/16, 64),
   * LoRA ranks 32 (mix, query, kv-mix) and 64 (decay, value2). No RoPE.
   */
  public static GoldFinchConfig standard(
      final int layers, final int dim, final int headSize, final int vocab) {
    if (layers < 2
        || dim < 16
        || dim % 16 != 0
        || headSize < 1
        || dim % headSize != 0
        || vocab < 1) {
      throw new IllegalArgumentException(
          "no standard GoldFinch with L="
              + layers
              + " C="
              + dim
              + " N="
              + headSize
              + " V="
              + vocab
              + " (needs L >= 2, C a multiple of 16 and of the head size)");
    }
    final int finch = Math.max(1, layers * 2 / 3);
    return new GoldFinchConfig(
        vocab,
        dim,
        dim / headSize,
        headSize,
        Math.max(32, (int) (dim * 3.5) / 32 * 32),
        dim / 16,
        finch,
        layers - finch,
        32,
        64,
        64,
        32,
        32,
        Math.max(dim / 16, 64),
        0);
  }

  /** Total blocks L. */
  public int layers() {
    return finchLayers + goldLayers;
  }

  /**
   * Tokens of the GOLD window that makes streaming prefill exact with the first GOLD block's query
   * shift seeded from the boundary vector before the window (goldfinch-math §5.2: W = 2G).
   */
  public int window() {
    return 2 * goldLayers;
  }

  /** Boundary vectors hF the state keeps: the window plus the one that seeds it. */
  public int boundaryVectors() {
    return window() + 1;
  }

  /**
   * Infers the configuration from a checkpoint's keys and shapes.
   *
   * @param ropeTheta RoPE base (0 for none); see {@link #ropeThetaFromFileName(String)}
   * @throws CheckpointException when the file is not a GoldFinch checkpoint or its shapes disagree
   */
  public static GoldFinchConfig infer(final Checkpoint ck, final double ropeTheta) {
    final long[] emb = shape(ck, "emb.weight", 2);
    final int vocab = (int) emb[0];
    final int dim = (int) emb[1];
    final BlockKind[] kinds = blockKinds(ck);
    int finch = 0;
    while (finch < kinds.length && kinds[finch] == BlockKind.FINCH_C2) {
      finch++;
    }
    for (int i = finch; i < kinds.length; i++) {
      if (kinds[i] != BlockKind.GOLD) {
        throw new CheckpointException(
            ck.path(),
            "block "
                + i
                + " is Finch-C2 but follows a GOLD block; GoldFinch stacks all Finch-C2"
                + " blocks first (layer kinds "
                + Arrays.toString(kinds)
                + ")");
      }
    }
    final int gold = kinds.length - finch;
    if (finch == 0 || gold == 0) {
      throw new CheckpointException(
          ck.path(),
          "a GoldFinch checkpoint needs at least one Finch-C2 and one GOLD block, found "
              + finch
              + " and "
              + gold
              + " (layer kinds "
              + Arrays.toString(kinds)
              + ")");
    }
    final long[] faaaa = shape(ck, "blocks.0.att.time_faaaa", 2);
    final int heads = (int) faaaa[0];
    final int headSize = (int) faaaa[1];
    if ((long) heads * headSize != dim) {
      throw new CheckpointException(
          ck.path(),
          "time_faaaa is ["
              + heads
              + ", "
              + headSize
              + "] but n_embd is "
              + dim
              + "; GOLD needs dim_att == n_embd (goldfinch-math §4.1)");
    }
    if (headSize % 2 != 0 && ropeTheta != 0) {
      throw new CheckpointException(ck.path(), "RoPE needs an even head size, got " + headSize);
    }
    final String g = "blocks." + finch + ".att.";
    final int compressed = (int) shape(ck, "w_kv_cache_a.weight", 2)[0];
    final long mix = shape(ck, "blocks.0.att.time_maa_w1", 2)[1];
    if (mix % 5 != 0) {
      throw new CheckpointException(
          ck.path(), "blocks.0.att.time_maa_w1 has " + mix + " columns, not 5·D_MIX (r,k,v,w,v2)");
    }
    return new GoldFinchConfig(
        vocab,
        dim,
        heads,
        headSize,
        (int) shape(ck, "blocks.0.ffn.key.weight", 2)[0],
        compressed,
        finch,
        gold,
        (int) (mix / 5),
        (int) shape(ck, "blocks.0.att.time_decay_w1", 2)[1],
        (int) shape(ck, "blocks.0.att.time_value2_w1", 2)[1],
        (int) shape(ck, g + "time_maa_q_w1", 2)[1],
        (int) shape(ck, g + "time_maa_kv_w2", 3)[1],
        (int) shape(ck, g + "time_key_w1", 2)[1],
        ropeTheta);
  }

  /**
   * The kind of every block, from its keys: {@code att.query.weight} is GOLD, {@code
   * att.receptance.weight} is Finch-C2; a block with {@code att.gate.weight} is plain Finch.
   */
  public static BlockKind[] blockKinds(final Checkpoint ck) {
    int layers = 0;
    for (final String name : ck.names()) {
      final Matcher m = BLOCK_KEY.matcher(name);
      if (m.find()) {
        layers = Math.max(layers, Integer.parseInt(m.group(1)) + 1);
      }
    }
    if (layers == 0) {
      throw new CheckpointException(
          ck.path(), "no blocks.N.* tensors: not an RWKV-style checkpoint");
    }
    final BlockKind[] kinds = new BlockKind[layers];
    for (int i = 0; i < layers; i++) {
      final String att = "blocks." + i + ".att.";
      if (ck.has(att + "query.weight")) {
        kinds[i] = BlockKind.GOLD;
      } else if (ck.has(att + "gate.weight")) {
        throw new CheckpointException(
            ck.path(),
            "block "
                + i
                + " has att.gate.weight: that is a plain Finch (RWKV-6) block, not"
                + " Finch-C2; load it as a Finch model");
      } else if (ck.has(att + "receptance.weight")) {
        kinds[i] = BlockKind.FINCH_C2;
      } else {
        throw new CheckpointException(
            ck.path(),
            "block "
                + i
                + " has neither att.receptance.weight (Finch-C2) nor att.query.weight (GOLD)");
      }
    }
    return kinds;
  }

  /** Whether the checkpoint looks like GoldFinch: some block has {@code att.query.weight}. */
  public static boolean isGoldFinch(final Checkpoint ck) {
    for (final String name : ck.names()) {
      if (name.startsWith("blocks.") && name.endsWith(".att.query.weight")) {
        return true;
      }
    }
    return false;
  }

  /**
   * RoPE cannot be seen in the tensors (it has no weights); the released RoPE checkpoint says so in
   * its name ({@code goldfinch_rope10k.pth}). Returns θ for a name containing {@code rope<N>k},
   * else 0 (no positional encoding).
   */
  public static double ropeThetaFromFileName(final String fileName) {
    final Matcher m = ROPE_IN_NAME.matcher(fileName);
    return m.find() ? Integer.parseInt(m.group(1)) * 1000.0 : 0.0;
  }

  private static long[] shape(final Checkpoint ck, final String name, final int rank) {
    if (!ck.has(name)) {
      throw new CheckpointException(
          ck.path(),
          "missing tensor " + name + "; is this a GoldFinch checkpoint (goldfinch-math §6.3)?");
    }
    final long[] s = ck.tensor(name).shape();
    if (s.length != rank) {
      throw new CheckpointException(
          ck.path(), name + " has shape " + Arrays.toString(s) + ", expected rank " + rank);
    }
    return s;
  }
}
