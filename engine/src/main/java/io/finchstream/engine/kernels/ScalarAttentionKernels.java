package io.finchstream.engine.kernels;

import io.finchstream.engine.tensor.Bf16;

/**
 * The reference {@link AttentionKernels}: plain loops in the order of the equations, every sum
 * sequential in index order. {@link VectorAttentionKernels} overrides the attention's hot loops at
 * each width and is tested against this class, bit for bit.
 */
public class ScalarAttentionKernels implements AttentionKernels {

  /** Multiply-adds below which a part is not worth a thread of its own. */
  static final int PARALLEL_GRAIN_FLOPS = 1 << 15;

  protected final Parallel parallel;

  public ScalarAttentionKernels(final Parallel parallel) {
    this.parallel = parallel;
  }

  @Override
  public String name() {
    return "scalar";
  }

  @Override
  public void rmsNorm(
      final float[] out, final float[] x, final int rows, final int n, final float eps) {
    for (int t = 0; t < rows; t++) {
      final int b = t * n;
      float squares = 0f;
      for (int i = 0; i < n; i++) {
        squares = Math.fma(x[b + i], x[b + i], squares);
      }
      final float rms = (float) Math.sqrt(squares / n);
      final float denominator = rms + eps;
      for (int i = 0; i < n; i++) {
        out[b + i] = x[b + i] / denominator;
      }
    }
  }

  @Override
  public void rope(
      final float[] x,
      final int rows,
      final int dim,
      final long[] positions,
      final int headSize,
      final double theta) {
    final int half = headSize / 2;
    for (int t = 0; t < rows; t++) {
      for (int i = 0; i < half; i++) {
        final double angle = positions[t] * StrictMath.pow(theta, -2.0 * i / headSize);
        final float cos = (float) StrictMath.cos(angle);
        final float sin = (float) StrictMath.sin(angle);
        for (int h = 0; h < dim; h += headSize) {
          final int p = t * dim + h + 2 * i;
          final float a = x[p];
          final float b = x[p + 1];
          x[p] = a * cos - b * sin;
          x[p + 1] = a * sin + b * cos;
        }
      }
    }
  }

  @Override
  public void attention(
      final float[] out,
      final float[] q,
      final int rows,
      final int dim,
      final int headSize,
      final float scale,
      final float[][][] keys,
      final float[][][] values,
      final int chunk,
      final int[] count) {
    forEachHead(
        rows,
        dim,
        headSize,
        count,
        (t, h0, h1, scores) ->
            headsF32(
                out, q, t * dim, h0, h1, dim, headSize, scale, keys[t], values[t], chunk, count[t],
                scores));
  }

  @Override
  public void attention(
      final float[] out,
      final float[] q,
      final int rows,
      final int dim,
      final int headSize,
      final float scale,
      final short[][][] keys,
      final short[][][] values,
      final int chunk,
      final int[] count) {
    forEachHead(
        rows,
        dim,
        headSize,
        count,
        (t, h0, h1, scores) ->
            headsBf16(
                out, q, t * dim, h0, h1, dim, headSize, scale, keys[t], values[t], chunk, count[t],
                scores));
  }

  /**
   * The attention of the heads {@code [h0, h1)} of one row, with a scratch of at least {@code (h1 −
   * h0)} times the row's count scores.
   */
  @FunctionalInterface
  private interface HeadsBody {
    void run(int row, int h0, int h1, float[] scores);
  }

  // Runs every (row, head) in parallel: each thread takes a range of them, in runs of consecutive
  // heads of one row, with its own score buffer.
  private void forEachHead(
      final int rows, final int dim, final int headSize, final int[] count, final HeadsBody body) {
    final int heads = dim / headSize;
    long work = 0;
    int longest = 0;
    for (int t = 0; t < rows; t++) {
      work += (long) count[t] * dim * 2;
      longest = Math.max(longest, count[t]);
    }
    final int items = rows * heads;
    // Every head of a row costs the same: at most one range per thread, so that each thread's
    // heads read the cache's chunks as long streams (headsF32).
    final int grain =
        (int)
            Math.max(
                (items + parallel.threads() - 1) / parallel.threads(),
                PARALLEL_GRAIN_FLOPS / Math.max(1, work / Math.max(1, items)));
    final int scoresLength = longest;
    parallel.forRange(
        items,
        grain,
        (from, to) -> {
          final float[] scores = new float[Math.min(to - from, heads) * scoresLength];
          for (int item = from; item < to; ) {
            final int row = item / heads;
            final int end = Math.min(to, (row + 1) * heads);
            body.run(row, item % heads, item % heads + end - item, scores);
            item = end;
          }
        });
  }

  /**
   * The heads {@code [h0, h1)} of one row over a float32 cache ({@code qo} the row's offset in q
   * and out): {@link #headF32} for each. Implementations may interleave the heads' passes over the
   * cache, as long as each head computes the same chains; {@code scores} holds {@code (h1 − h0) ·
   * count} floats.
   */
  protected void headsF32(
      final float[] out,
      final float[] q,
      final int qo,
      final int h0,
      final int h1,
      final int dim,
      final int n,
      final float scale,
      final float[][] keys,
      final float[][] values,
      final int chunk,
      final int count,
      final float[] scores) {
    for (int h = h0; h < h1; h++) {
      headF32(out, q, qo + h * n, h, dim, n, scale, keys, values, chunk, count, scores);
    }
  }

  /** {@link #headsF32} over a bf16 cache. */
  protected void headsBf16(
      final float[] out,
      final float[] q,
      final int qo,
      final int h0,
      final int h1,
      final int dim,
      final int n,
      final float scale,
      final short[][] keys,
      final short[][] values,
      final int chunk,
      final int count,
      final float[] scores) {
    for (int h = h0; h < h1; h++) {
      headBf16(out, q, qo + h * n, h, dim, n, scale, keys, values, chunk, count, scores);
    }
  }

  /**
   * One (row, head) over a float32 cache: {@code scores[s] = scale · q·k_s} (one FMA chain over the
   * channels per position), softmax over {@code s < count}, then {@code out = Σ_s p_s · v_s} (one
   * FMA chain over the positions per channel). {@code qo} is the head's offset in q and out, h the
   * head.
   */
  protected void headF32(
      final float[] out,
      final float[] q,
      final int qo,
      final int h,
      final int dim,
      final int n,
      final float scale,
      final float[][] keys,
      final float[][] values,
      final int chunk,
      final int count,
      final float[] scores) {
    for (int s = 0; s < count; s++) {
      final float[] k = keys[s / chunk];
      final int cap = k.length / dim;
      final int kb = h * n * cap + s % chunk;
      float dot = 0f;
      for (int i = 0; i < n; i++) {
        dot = Math.fma(q[qo + i], k[kb + i * cap], dot);
      }
      scores[s] = dot * scale;
    }
    final float sum = softmaxNumerators(scores, 0, count);
    for (int i = 0; i < n; i++) {
      out[qo + i] = 0f;
    }
    for (int s = 0; s < count; s++) {
      final float[] v = values[s / chunk];
      final int vb = (h * (v.length / dim) + s % chunk) * n;
      final float p = scores[s];
      for (int i = 0; i < n; i++) {
        out[qo + i] = Math.fma(p, v[vb + i], out[qo + i]);
      }
    }
    for (int i = 0; i < n; i++) {
      out[qo + i] /= sum;
    }
  }

  /** {@link #headF32} over a bf16 cache, each key and value widened exactly where it is used. */
  protected void headBf16(
      final float[] out,
      final float[] q,
      final int qo,
      final int h,
      final int dim,
      final int n,
      final float scale,
      final short[][] keys,
      final short[][] values,
      final int chunk,
      final int count,
      final float[] scores) {
    for (int s = 0; s < count; s++) {
      final short[] k = keys[s / chunk];
      final int cap = k.length / dim;
      final int kb = h * n * cap + s % chunk;
      float dot = 0f;
      for (int i = 0; i < n; i++) {
        dot = Math.fma(q[qo + i], Bf16.toFloat(k[kb + i * cap]), dot);
      }
      scores[s] = dot * scale;
    }
    final float sum = softmaxNumerators(scores, 0, count);
    for (int i = 0; i < n; i++) {
      out[qo + i] = 0f;
    }
    for (int s = 0; s < count; s++) {
      final short[] v = values[s / chunk];
      final int vb = (h * (v.length / dim) + s % chunk) * n;
      final float p = scores[s];
      for (int i = 0; i < n; i++) {
        out[qo + i] = Math.fma(p, Bf16.toFloat(v[vb + i]), out[qo + i]);
      }
    }
    for (int i = 0; i < n; i++) {
      out[qo + i] /= sum;
    }
  }

  /**
   * {@code scores[off + s] = exp(scores[off + s] − max)} for {@code s < count}; returns their sum,
   * added in ascending order. Shared by every implementation so the softmax weights are
   * bit-identical.
   */
  protected float softmaxNumerators(final float[] scores, final int off, final int count) {
    final float max = max(scores, off, count);
    exp(scores, off, count, max);
    float sum = 0f;
    for (int s = off; s < off + count; s++) {
      sum += scores[s];
    }
    return sum;
  }

  /**
   * The largest of {@code x[off .. off + count)} ({@link Math#max}: exact, so in any order the same
   * value).
   */
  protected float max(final float[] x, final int off, final int count) {
    float max = Float.NEGATIVE_INFINITY;
    for (int s = off; s < off + count; s++) {
      max = Math.max(max, x[s]);
    }
    return max;
  }

  /** {@code x[off + s] = exp(x[off + s] − shift)} for {@code s < count} ({@link FastExp}). */
  protected void exp(final float[] x, final int off, final int count, final float shift) {
    for (int s = off; s < off + count; s++) {
      x[s] = FastExp.exp(x[s] - shift);
    }
  }
}
