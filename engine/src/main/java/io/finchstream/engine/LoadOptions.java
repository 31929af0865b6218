package io.finchstream.engine;

import io.finchstream.engine.io.LoadProgress;
import io.finchstream.engine.kernels.KernelKind;
import java.util.Objects;

/**
 * How to load a model: in-memory weight precision, compute threads, which kernels, and where to
 * report load progress. Immutable; use the {@code with*} methods to derive variants.
 *
 * @param precision in-memory precision of the weight matrices
 * @param threads compute threads for one model call (1 = the calling thread only)
 * @param kernels which kernel implementation ({@link KernelKind#AUTO}: vector when available,
 *     unless {@code -Dfinchstream.kernels=scalar})
 * @param maxRowsPerPass upper bound on the token rows pushed through the layers at once (bounds the
 *     scratch memory; results do not depend on it)
 * @param progress receives load progress (bytes)
 * @param cachePrecision precision of the derived key/value cache of GoldFinch's GOLD layers in
 *     memory: BF16 (default) halves its bytes and the bytes attention reads per generated token;
 *     FP32 keeps every key and value exact (the canonical cache that is stored is fp32 either way)
 */
public record LoadOptions(
    WeightPrecision precision,
    int threads,
    KernelKind kernels,
    int maxRowsPerPass,
    LoadProgress progress,
    StatePrecision cachePrecision) {

  /** Default rows per pass: enough to batch 64 conversations or a prefill chunk of 64 tokens. */
  public static final int DEFAULT_MAX_ROWS = 64;

  public LoadOptions {
    Objects.requireNonNull(precision, "precision");
    Objects.requireNonNull(kernels, "kernels");
    Objects.requireNonNull(progress, "progress");
    Objects.requireNonNull(cachePrecision, "cachePrecision");
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    if (maxRowsPerPass < 1) {
      throw new IllegalArgumentException("maxRowsPerPass must be >= 1, got " + maxRowsPerPass);
    }
  }

  /**
   * FP32 weights, one thread per available processor, automatic kernels, no progress, a bf16
   * GoldFinch key/value cache.
   */
  public static LoadOptions defaults() {
    return new LoadOptions(
        WeightPrecision.FP32,
        Runtime.getRuntime().availableProcessors(),
        KernelKind.AUTO,
        DEFAULT_MAX_ROWS,
        LoadProgress.NONE,
        StatePrecision.BF16);
  }

  public LoadOptions withPrecision(final WeightPrecision value) {
    return new LoadOptions(value, threads, kernels, maxRowsPerPass, progress, cachePrecision);
  }

  public LoadOptions withThreads(final int value) {
    return new LoadOptions(precision, value, kernels, maxRowsPerPass, progress, cachePrecision);
  }

  public LoadOptions withKernels(final KernelKind value) {
    return new LoadOptions(precision, threads, value, maxRowsPerPass, progress, cachePrecision);
  }

  public LoadOptions withMaxRowsPerPass(final int value) {
    return new LoadOptions(precision, threads, kernels, value, progress, cachePrecision);
  }

  public LoadOptions withProgress(final LoadProgress value) {
    return new LoadOptions(precision, threads, kernels, maxRowsPerPass, value, cachePrecision);
  }

  public LoadOptions withCachePrecision(final StatePrecision value) {
    return new LoadOptions(precision, threads, kernels, maxRowsPerPass, progress, value);
  }
}
