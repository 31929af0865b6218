package io.finchstream.engine.kernels;

import io.finchstream.engine.tensor.Matrix;

/**
 * The numeric steps of the model, one small kernel per equation step, outputs first. An instance
 * owns its threads and is passed explicitly to the model (there is no global instance).
 *
 * <p>Shapes: activations are row-major {@code [rows, C]} float arrays starting at index 0 unless an
 * offset is given; per-channel vectors ({@code mix}, {@code weight}, {@code bias}) are {@code [C]}.
 *
 * <p>Determinism contract (tested for every implementation at every vector width): every output
 * element is computed by the same sequence of float operations whatever the number of rows, the
 * offsets, the tiling, the thread count, the implementation and the vector width. So every kernel
 * gives the same bits as {@link ScalarKernels} on any machine: the matmul is one FMA chain per
 * output (per block, for int8 weights), the norms' sums follow {@link LaneSums}, everything else is
 * element-wise.
 */
public interface Kernels {

  /** Implementation name, e.g. "scalar" or "vector-512". */
  String name();

  /** Threads one call may use. */
  int threads();

  /**
   * The kernels of that kind on {@code threads} threads.
   *
   * @see KernelKind#AUTO
   */
  static Kernels create(final KernelKind kind, final int threads) {
    final Parallel parallel = new Parallel(threads);
    final KernelKind resolved = kind.resolve();
    return resolved == KernelKind.SCALAR
        ? new ScalarKernels(parallel)
        : VectorKernels.create(resolved.width(), parallel);
  }

  /** The vector kernels of that width on {@code threads} threads (any width runs anywhere). */
  static Kernels vector(final VectorWidth width, final int threads) {
    return VectorKernels.create(width, new Parallel(threads));
  }

  // ---------------------------------------------------------------------------------------------
  // Linear layers

  /**
   * Batched matmul {@code Y[rows × out] = X[rows × in] · Wᵀ} for {@code W = [out, in]} (PyTorch
   * {@code nn.Linear}, no bias). Row {@code t} of X is {@code x[xOff + t·xStride ..][in]}, row
   * {@code t} of Y is {@code y[yOff + t·yStride ..][out]}. Parallel over output features. Each
   * {@code Y[t][o]} is one FMA chain over i ascending, {@code acc = fma(X[t][i], W[o][i], acc)}
   * from 0, in every implementation (batch-invariant, and the same bits everywhere).
   */
  void matmul(
      float[] y, int yOff, int yStride, float[] x, int xOff, int xStride, int rows, Matrix w);

  // ---------------------------------------------------------------------------------------------
  // Normalisation (finch-math §2.1, §2.4)

  /**
   * {@code out[t] = (x[t] − mean) / sqrt(var + eps) ⊙ weight + bias} per row of {@code C =
   * weight.length} (biased variance; PyTorch {@code nn.LayerNorm}). {@code out} may be {@code x}.
   */
  void layerNorm(float[] out, float[] x, int rows, float[] weight, float[] bias, float eps);

  /**
   * GroupNorm: {@link #layerNorm} statistics over each group of {@code groupSize} channels of a row
   * (the per-head {@code ln_x} of §2.4), then the per-channel affine {@code weight}, {@code bias}
   * of length C. {@code out} may be {@code x}.
   */
  void groupNorm(
      float[] out, float[] x, int rows, int groupSize, float[] weight, float[] bias, float eps);

  // ---------------------------------------------------------------------------------------------
  // Element-wise steps (flat over n elements, or over rows of C = mix.length)

  /** {@code out[i] = a[i] − b[i]} for {@code n} elements at the given offsets (token shift). */
  void sub(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff, int n);

  /** {@code x[i] += y[i]} (residual). */
  void add(float[] x, float[] y, int n);

  /** {@code x[i] *= y[i]}. */
  void mul(float[] x, float[] y, int n);

  /** Static token-shift mix: {@code out[t] = a[t] + d[t] ⊙ mix} for each row (§2.2 xxx, §2.5). */
  void lerp(float[] out, float[] a, float[] d, float[] mix, int rows);

  /**
   * Data-dependent token-shift mix (ddlerp, §2.2): {@code out[t] = a[t] + d[t] ⊙ (mix + m[t])},
   * where row {@code t} of m is {@code m[mOff + t·mStride ..][C]}.
   */
  void ddlerp(
      float[] out, float[] a, float[] d, float[] mix, float[] m, int mOff, int mStride, int rows);

  /** {@code x[i] = tanh(x[i])}. */
  void tanh(float[] x, int n);

  /** {@code x[i] = x[i] · sigmoid(x[i])} (SiLU gate, §2.2). */
  void silu(float[] x, int n);

  /** {@code x[i] = max(x[i], 0)²} (§2.5). */
  void reluSquare(float[] x, int n);

  /**
   * Decay (§2.2): {@code w[t] = exp(−exp(timeDecay + w[t]))} in place, per row of {@code C =
   * timeDecay.length}; on entry {@code w} holds the decay LoRA output.
   */
  void decay(float[] w, float[] timeDecay, int rows);

  /** {@code x[i] += sigmoid(gate[i]) · value[i]} (ChannelMix output, §2.5). */
  void addSigmoidGated(float[] x, float[] gate, float[] value, int n);

  // ---------------------------------------------------------------------------------------------
  // WKV recurrence (§2.3)

  /**
   * The WKV recurrence, token by token, for several independent segments (one per state). Segment
   * {@code g} owns rows {@code [rowStart[g], rowStart[g] + rowCount[g])} of {@code r, k, v, w, y}
   * ({@code [rows, C]}, C = H·N) and the state {@code s[g]} ({@code [H][N][N]}, {@code S[h][i][j]}
   * with i = key channel, j = value channel). For each token and head, with the OLD state: {@code
   * y[j] = Σ_i r[i]·(u[i]·k[i]·v[j] + S[i][j])}, then {@code S[i][j] = w[i]·S[i][j] + k[i]·v[j]}.
   * {@code u} is {@code time_faaaa} flattened {@code [H·N]}. Parallel over (segment, head).
   */
  void wkv(
      float[] y,
      float[] r,
      float[] k,
      float[] v,
      float[] w,
      float[] u,
      float[][] s,
      int[] rowStart,
      int[] rowCount,
      int headSize);
}
