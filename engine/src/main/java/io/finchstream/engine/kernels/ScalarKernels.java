package io.finchstream.engine.kernels;

import io.finchstream.engine.tensor.Matrix;
import io.finchstream.engine.tensor.PanelLayout;
import io.finchstream.engine.tensor.Q8Matrix;

/**
 * The reference {@link Kernels}: plain Java loops that read like the equations. The norms' sums
 * follow the fixed order of {@link LaneSums} (16 interleaved partial sums and a pairwise tree), the
 * order every implementation uses; the matmul is one FMA chain per output. {@link VectorKernels}
 * overrides the hot kernels at each vector width and is tested against this class, bit for bit.
 */
public class ScalarKernels implements Kernels {

  /** Multiply-adds below which a matmul or WKV part is not worth a thread of its own. */
  static final int PARALLEL_GRAIN_FLOPS = 1 << 16;

  protected final Parallel parallel;

  public ScalarKernels(final Parallel parallel) {
    this.parallel = parallel;
  }

  @Override
  public String name() {
    return "scalar";
  }

  @Override
  public int threads() {
    return parallel.threads();
  }

  /** Output features per parallel part so that a part does at least the grain of work. */
  static int grain(final int rows, final int in, final int featuresPerItem) {
    final long perItem = (long) rows * in * featuresPerItem;
    return (int) Math.max(1, PARALLEL_GRAIN_FLOPS / Math.max(1, perItem));
  }

  static void checkMatmul(
      final float[] y,
      final int yOff,
      final int yStride,
      final float[] x,
      final int xOff,
      final int xStride,
      final int rows,
      final Matrix w) {
    if (rows < 0 || xStride < w.cols() || yStride < w.rows()) {
      throw new IllegalArgumentException(
          "matmul: rows "
              + rows
              + ", x stride "
              + xStride
              + ", y stride "
              + yStride
              + " do not fit W ["
              + w.rows()
              + ", "
              + w.cols()
              + "]");
    }
    if (rows > 0
        && ((long) xOff + (long) (rows - 1) * xStride + w.cols() > x.length
            || (long) yOff + (long) (rows - 1) * yStride + w.rows() > y.length)) {
      throw new IllegalArgumentException(
          "matmul: " + rows + " rows overrun x (" + x.length + ") or y (" + y.length + ")");
    }
  }

  // Y[t][o] = Σ_i X[t][i]·W[o][i] as one FMA chain, i ascending (the vector twin does exactly this
  // per lane); for int8 weights one chain over the quants per block of 32, added to Y by an FMA
  // with the block's scale, blocks in order.
  @Override
  public void matmul(
      final float[] y,
      final int yOff,
      final int yStride,
      final float[] x,
      final int xOff,
      final int xStride,
      final int rows,
      final Matrix w) {
    checkMatmul(y, yOff, yStride, x, xOff, xStride, rows, w);
    final int in = w.cols();
    parallel.forRange(
        w.rows(),
        grain(rows, in, 1),
        (o0, o1) -> {
          final float[] wRow = new float[in];
          final float[] scales = new float[PanelLayout.blocks(in)];
          for (int o = o0; o < o1; o++) {
            if (w instanceof Q8Matrix q8) {
              q8.quantsTo(o, wRow, 0);
              q8.scalesTo(o, scales, 0);
            } else {
              w.rowTo(o, wRow, 0);
            }
            for (int t = 0; t < rows; t++) {
              final int xb = xOff + t * xStride;
              y[yOff + t * yStride + o] =
                  w instanceof Q8Matrix ? blockDot(x, xb, wRow, scales, in) : dot(x, xb, wRow, in);
            }
          }
        });
  }

  // Σ_i x[xb + i]·w[i] as one FMA chain from 0, i ascending.
  private static float dot(final float[] x, final int xb, final float[] w, final int in) {
    float sum = 0f;
    for (int i = 0; i < in; i++) {
      sum = Math.fma(x[xb + i], w[i], sum);
    }
    return sum;
  }

  // Σ_b d[b]·(Σ_{i in block b} x[xb + i]·q[i]): each block one FMA chain over its quants, then
  // sum = fma(block, d[b], sum), blocks ascending.
  private static float blockDot(
      final float[] x, final int xb, final float[] q, final float[] d, final int in) {
    float sum = 0f;
    for (int b = 0, b0 = 0; b0 < in; b++, b0 += Q8Matrix.BLOCK) {
      float block = 0f;
      for (int i = b0; i < Math.min(in, b0 + Q8Matrix.BLOCK); i++) {
        block = Math.fma(x[xb + i], q[i], block);
      }
      sum = Math.fma(block, d[b], sum);
    }
    return sum;
  }

  @Override
  public void layerNorm(
      final float[] out,
      final float[] x,
      final int rows,
      final float[] weight,
      final float[] bias,
      final float eps) {
    final int c = weight.length;
    for (int t = 0; t < rows; t++) {
      normalize(out, x, t * c, c, weight, bias, 0, eps);
    }
  }

  @Override
  public void groupNorm(
      final float[] out,
      final float[] x,
      final int rows,
      final int groupSize,
      final float[] weight,
      final float[] bias,
      final float eps) {
    final int c = weight.length;
    if (groupSize < 1 || c % groupSize != 0) {
      throw new IllegalArgumentException(
          "groupNorm: C " + c + " is not a multiple of group size " + groupSize);
    }
    for (int t = 0; t < rows; t++) {
      for (int g = 0; g < c; g += groupSize) {
        normalize(out, x, t * c + g, groupSize, weight, bias, g, eps);
      }
    }
  }

  /**
   * {@code out[base..base+n) = (x − mean) · rstd ⊙ weight[p..] + bias[p..]} for one row or group.
   */
  protected void normalize(
      final float[] out,
      final float[] x,
      final int base,
      final int n,
      final float[] weight,
      final float[] bias,
      final int p,
      final float eps) {
    // both sums in the fixed order of LaneSums, as every implementation adds them
    final float mean = LaneSums.sum(x, base, n) / n;
    final float squares = LaneSums.squaresAround(x, base, n, mean);
    final float rstd = (float) (1.0 / Math.sqrt(squares / n + eps));
    for (int i = 0; i < n; i++) {
      out[base + i] = (x[base + i] - mean) * rstd * weight[p + i] + bias[p + i];
    }
  }

  @Override
  public void sub(
      final float[] out,
      final int outOff,
      final float[] a,
      final int aOff,
      final float[] b,
      final int bOff,
      final int n) {
    for (int i = 0; i < n; i++) {
      out[outOff + i] = a[aOff + i] - b[bOff + i];
    }
  }

  @Override
  public void add(final float[] x, final float[] y, final int n) {
    for (int i = 0; i < n; i++) {
      x[i] += y[i];
    }
  }

  @Override
  public void mul(final float[] x, final float[] y, final int n) {
    for (int i = 0; i < n; i++) {
      x[i] *= y[i];
    }
  }

  @Override
  public void lerp(
      final float[] out, final float[] a, final float[] d, final float[] mix, final int rows) {
    final int c = mix.length;
    for (int t = 0; t < rows; t++) {
      final int b = t * c;
      for (int i = 0; i < c; i++) {
        out[b + i] = a[b + i] + d[b + i] * mix[i];
      }
    }
  }

  @Override
  public void ddlerp(
      final float[] out,
      final float[] a,
      final float[] d,
      final float[] mix,
      final float[] m,
      final int mOff,
      final int mStride,
      final int rows) {
    final int c = mix.length;
    for (int t = 0; t < rows; t++) {
      final int b = t * c;
      final int mb = mOff + t * mStride;
      for (int i = 0; i < c; i++) {
        out[b + i] = a[b + i] + d[b + i] * (mix[i] + m[mb + i]);
      }
    }
  }

  @Override
  public void tanh(final float[] x, final int n) {
    for (int i = 0; i < n; i++) {
      x[i] = Activations.tanh(x[i]);
    }
  }

  @Override
  public void silu(final float[] x, final int n) {
    for (int i = 0; i < n; i++) {
      x[i] = Activations.silu(x[i]);
    }
  }

  @Override
  public void reluSquare(final float[] x, final int n) {
    for (int i = 0; i < n; i++) {
      final float r = Math.max(x[i], 0f);
      x[i] = r * r;
    }
  }

  @Override
  public void decay(final float[] w, final float[] timeDecay, final int rows) {
    final int c = timeDecay.length;
    for (int t = 0; t < rows; t++) {
      final int b = t * c;
      for (int i = 0; i < c; i++) {
        w[b + i] = Activations.decay(timeDecay[i] + w[b + i]);
      }
    }
  }

  @Override
  public void addSigmoidGated(
      final float[] x, final float[] gate, final float[] value, final int n) {
    for (int i = 0; i < n; i++) {
      x[i] += Activations.sigmoid(gate[i]) * value[i];
    }
  }

  @Override
  public void wkv(
      final float[] y,
      final float[] r,
      final float[] k,
      final float[] v,
      final float[] w,
      final float[] u,
      final float[][] s,
      final int[] rowStart,
      final int[] rowCount,
      final int headSize) {
    final int heads = u.length / headSize;
    parallel.forRange(
        s.length * heads,
        wkvGrain(rowStart, rowCount, heads, headSize),
        (from, to) -> {
          for (int item = from; item < to; item++) {
            final int g = item / heads;
            final int h = item % heads;
            for (int t = rowStart[g]; t < rowStart[g] + rowCount[g]; t++) {
              wkvHead(y, r, k, v, w, u, s[g], t * u.length + h * headSize, h, headSize);
            }
          }
        });
  }

  /** (segment, head) items per parallel part. */
  static int wkvGrain(final int[] rowStart, final int[] rowCount, final int heads, final int n) {
    long rows = 0;
    for (final int c : rowCount) {
      rows += c;
    }
    final long items = Math.max(1L, (long) rowCount.length * heads);
    final long perItem = Math.max(1L, rows * heads * n * n / items);
    return (int) Math.max(1, PARALLEL_GRAIN_FLOPS / perItem);
  }

  // One token, one head: y_j = Σ_i r_i·(u_i·k_i·v_j + S_ij) with the old S, then S_ij = S_ij·w_i +
  // k_i·v_j.
  // For each j the sum runs over i ascending (the vector twin keeps that order per lane).
  protected void wkvHead(
      final float[] y,
      final float[] r,
      final float[] k,
      final float[] v,
      final float[] w,
      final float[] u,
      final float[] state,
      final int base,
      final int h,
      final int n) {
    final int sb = h * n * n;
    for (int j = 0; j < n; j++) {
      y[base + j] = 0f;
    }
    for (int i = 0; i < n; i++) {
      final float ri = r[base + i];
      final float ki = k[base + i];
      final float ui = u[h * n + i];
      final float wi = w[base + i];
      final int row = sb + i * n;
      for (int j = 0; j < n; j++) {
        final float kv = ki * v[base + j];
        y[base + j] = Math.fma(ri, Math.fma(ui, kv, state[row + j]), y[base + j]);
        state[row + j] = Math.fma(state[row + j], wi, kv);
      }
    }
  }
}
