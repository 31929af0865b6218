package io.finchstream.engine.finch;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded random weights for a Finch model, with realistic scales so that activations stay in the
 * range of a trained model: LayerNorm weights ≈ 1, mixing coefficients in (0, 1), per-channel
 * {@code time_decay} spread so that the decays {@code exp(−exp(·))} cover (0, 1), a small bonus,
 * linear weights ~N(0, 1/√in) and small LoRAs. For tests and benchmarks; the values of a tensor
 * depend only on the seed and its name, so tensors can be produced in any order, one at a time.
 */
public final class FinchRandom {

  private FinchRandom() {}

  /** Tensor names and shapes of the model, in .pth order ({@link FinchLayout#tensors}). */
  public static Map<String, long[]> layout(final FinchConfig config) {
    return FinchLayout.tensors(config);
  }

  /** The values of tensor {@code name} (C-order, shape from {@link #layout}). */
  public static float[] values(final FinchConfig config, final String name, final long seed) {
    final long[] shape = FinchLayout.tensors(config).get(name);
    if (shape == null) {
      throw new IllegalArgumentException("no tensor '" + name + "' in a Finch model with " + config);
    }
    long numel = 1;
    for (final long d : shape) {
      numel *= d;
    }
    final float[] out = new float[Math.toIntExact(numel)];
    final SplittableRandom random = new SplittableRandom(seed ^ nameHash(name));
    final String kind = name.replaceFirst("^blocks\\.\\d+\\.", "").replaceFirst("^(att|ffn)\\.", "");
    final int c = config.dim();
    switch (kind) {
      case "ln0.weight", "ln1.weight", "ln2.weight", "ln_out.weight", "ln_x.weight" ->
          fill(out, random, 1.0, 0.1);
      case "ln0.bias", "ln1.bias", "ln2.bias", "ln_out.bias", "ln_x.bias" -> fill(out, random, 0.0, 0.05);
      case "time_maa_x", "time_maa_w", "time_maa_k", "time_maa_v", "time_maa_r", "time_maa_g" ->
          uniform(out, random, 0.05, 0.95);
      case "time_maa_w1", "time_decay_w1" -> fill(out, random, 0.0, 0.5 / Math.sqrt(c));
      case "time_maa_w2", "time_decay_w2" -> fill(out, random, 0.0, 0.05);
      case "time_decay" -> {
        // spread from −6 (decay ≈ 0.9975) to +0.5 (decay ≈ 0.19), plus noise
        for (int i = 0; i < out.length; i++) {
          out[i] = (float) (-6.0 + 6.5 * i / Math.max(1, out.length - 1) + 0.1 * random.nextGaussian());
        }
      }
      case "time_faaaa" -> uniform(out, random, -0.3, 0.3);
      case "emb.weight" -> fill(out, random, 0.0, 1.0);
      default -> fill(out, random, 0.0, 1.0 / Math.sqrt(shape[shape.length - 1])); // Linear [out, in]
    }
    return out;
  }

  private static void fill(final float[] out, final SplittableRandom random, final double mean, final double std) {
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (mean + std * random.nextGaussian());
    }
  }

  private static void uniform(final float[] out, final SplittableRandom random, final double lo, final double hi) {
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) random.nextDouble(lo, hi);
    }
  }

  private static long nameHash(final String name) {
    long h = 0xcbf29ce484222325L; // FNV-1a
    for (final byte b : name.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xFF)) * 0x100000001b3L;
    }
    return h;
  }
}
