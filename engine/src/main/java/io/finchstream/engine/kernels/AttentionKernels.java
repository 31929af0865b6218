package io.finchstream.engine.kernels;

/**
 * The kernels of softmax attention over a per-conversation key/value cache (GoldFinch's GOLD
 * layers, goldfinch-math §3.1, §4): RMS normalisation of the cache sources, rotary position
 * embedding, and causal multi-head attention. Outputs first; an instance owns its threads.
 *
 * <p>Cache layout (A = H·N channels): the keys and values of one conversation and layer are chunks
 * of {@code chunk} positions; chunk j holds positions {@code [j·chunk, j·chunk + chunk)} in arrays
 * of some capacity {@code cap ≥} its filled positions ({@code cap = length / A}). Keys are stored
 * channel-major per head, {@code [H][N][cap]} (key channel i of head h at position p is at {@code
 * (h·N + i)·cap + p}), so the dot products of consecutive positions sit in consecutive lanes;
 * values are position-major per head, {@code [H][cap][N]} (at {@code (h·cap + p)·N + i}), so a
 * position's value is one stream of N channels. Either float32 or bf16 (bit patterns).
 *
 * <p>Determinism contract (tested): each output element is computed by the same float operations
 * whatever the number of rows in the call, the thread count, the implementation and the vector
 * width: per position the dot product is one FMA chain over the channels, the softmax is shared
 * ({@link ScalarAttentionKernels#softmaxNumerators}), and each output channel is one FMA chain over
 * the positions. So every implementation gives the same bits as {@link ScalarAttentionKernels}.
 */
public interface AttentionKernels {

  /** Implementation name, e.g. "scalar" or "vector-512". */
  String name();

  /**
   * The attention kernels of that kind (see {@link KernelKind#AUTO}) on {@code threads} threads.
   */
  static AttentionKernels create(final KernelKind kind, final int threads) {
    final Parallel parallel = new Parallel(threads);
    final KernelKind resolved = kind.resolve();
    return resolved == KernelKind.SCALAR
        ? new ScalarAttentionKernels(parallel)
        : VectorAttentionKernels.create(resolved.width(), parallel);
  }

  /** The vector attention kernels of that width on {@code threads} threads. */
  static AttentionKernels vector(final VectorWidth width, final int threads) {
    return VectorAttentionKernels.create(width, new Parallel(threads));
  }

  /**
   * {@code out[t] = x[t] / (sqrt(mean(x[t]²)) + eps)} per row of {@code n} values (no weight; the
   * eps is added to the RMS, not under the root: goldfinch-math §3.1). {@code out} may be {@code
   * x}.
   */
  void rmsNorm(float[] out, float[] x, int rows, int n, float eps);

  /**
   * Rotary position embedding in place (goldfinch-math §4.2): in every head of {@code headSize}
   * channels of row {@code t} ({@code x [rows, A]}), the pair {@code (x[2i], x[2i+1])} is rotated
   * by the angle {@code positions[t] · theta^(−2i/headSize)}.
   */
  void rope(float[] x, int rows, int dim, long[] positions, int headSize, double theta);

  /**
   * Causal softmax attention over float32 caches. Row {@code t} has the query {@code q[t·A ..][A]}
   * and attends to the positions {@code 0 .. count[t]−1} of its own cache ({@code keys[t]}, {@code
   * values[t]}: chunk arrays in the layout of the class comment; rows of one conversation share
   * them). Per head h: {@code out_h = Σ_s softmax_s(scale · q_h·k_{s,h}) · v_{s,h}}, reduced over s
   * in ascending order. Parallel over (row, head).
   */
  void attention(
      float[] out,
      float[] q,
      int rows,
      int dim,
      int headSize,
      float scale,
      float[][][] keys,
      float[][][] values,
      int chunk,
      int[] count);

  /**
   * {@link #attention(float[], float[], int, int, int, float, float[][][], float[][][], int,
   * int[])} over bf16 caches (each key and value widened exactly to float32 where it is used).
   */
  void attention(
      float[] out,
      float[] q,
      int rows,
      int dim,
      int headSize,
      float scale,
      short[][][] keys,
      short[][][] values,
      int chunk,
      int[] count);
}
