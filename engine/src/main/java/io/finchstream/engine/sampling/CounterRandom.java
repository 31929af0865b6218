package io.finchstream.engine.sampling;

/**
 * Counter-based random numbers: the number for step {@code k} of a generation is a pure function of
 * (seed, k), so a generation replayed after a crash draws exactly the same numbers, whatever
 * happened before (no hidden generator state to persist).
 *
 * <p>{@code bits(seed, k) = mix64(mix64(seed) + γ·(k + 1))} with SplitMix64's finaliser {@code
 * mix64} and increment γ = 0x9E3779B97F4A7C15 (Steele, Lea, Flood 2014; the same as {@link
 * java.util.SplittableRandom}). For a fixed seed, distinct k give distinct bits (mix64 is a
 * bijection and γ is odd).
 */
final class CounterRandom {

  /** SplitMix64's increment (the odd integer closest to 2^64 / φ). */
  static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

  private CounterRandom() {}

  /** SplitMix64's output function (variant 13 of Stafford's mixers). */
  static long mix64(final long x) {
    long z = x;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** 64 random bits for step {@code step} of the stream {@code seed}. */
  static long bits(final long seed, final long step) {
    return mix64(mix64(seed) + GOLDEN_GAMMA * (step + 1));
  }

  /**
   * A uniform double in [0, 1) with 53 random bits, for step {@code step} of the stream {@code
   * seed}.
   */
  static double uniform(final long seed, final long step) {
    return (bits(seed, step) >>> 11) * 0x1.0p-53;
  }
}
