package io.finchstream.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Machine-limit probes for benchmarks, so that engine results can be reported as a fraction of what
 * the machine can do in the same run: streaming memory read bandwidth and register-resident FP32
 * FMA throughput, with the machine's preferred vector species (the kernels' default width).
 */
public final class MachineProbe {

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = F.length();

  /** FMA chains kept in flight by {@link #fmaChains} (enough to hide the FMA latency). */
  public static final int CHAINS = 16;

  private MachineProbe() {}

  /** Floats per vector of the kernels' species. */
  public static int lanes() {
    return LANES;
  }

  /**
   * Reads {@code a[from, to)} once (vector loads, 4 independent sums) and returns a value that
   * depends on every element; {@code to − from} must be a multiple of 4 vectors.
   */
  public static float streamSum(final float[] a, final int from, final int to) {
    FloatVector s0 = FloatVector.zero(F);
    FloatVector s1 = s0;
    FloatVector s2 = s0;
    FloatVector s3 = s0;
    for (int i = from; i < to; i += 4 * LANES) {
      s0 = s0.add(FloatVector.fromArray(F, a, i));
      s1 = s1.add(FloatVector.fromArray(F, a, i + LANES));
      s2 = s2.add(FloatVector.fromArray(F, a, i + 2 * LANES));
      s3 = s3.add(FloatVector.fromArray(F, a, i + 3 * LANES));
    }
    return sum(s0.add(s1).add(s2).add(s3));
  }

  /**
   * Runs {@code iterations} steps of {@value #CHAINS} independent vector FMA chains held in
   * registers: {@code iterations · CHAINS · 2 · lanes()} floating-point operations. Returns a value
   * that depends on all of them.
   */
  public static float fmaChains(final long iterations, final float seed) {
    final FloatVector m = FloatVector.broadcast(F, 0.999f);
    final FloatVector c = FloatVector.broadcast(F, 1e-3f);
    FloatVector a0 = FloatVector.broadcast(F, seed);
    FloatVector a1 = a0.add(1f), a2 = a0.add(2f), a3 = a0.add(3f);
    FloatVector a4 = a0.add(4f), a5 = a0.add(5f), a6 = a0.add(6f), a7 = a0.add(7f);
    FloatVector a8 = a0.add(8f), a9 = a0.add(9f), a10 = a0.add(10f), a11 = a0.add(11f);
    FloatVector a12 = a0.add(12f), a13 = a0.add(13f), a14 = a0.add(14f), a15 = a0.add(15f);
    for (long i = 0; i < iterations; i++) {
      a0 = a0.fma(m, c);
      a1 = a1.fma(m, c);
      a2 = a2.fma(m, c);
      a3 = a3.fma(m, c);
      a4 = a4.fma(m, c);
      a5 = a5.fma(m, c);
      a6 = a6.fma(m, c);
      a7 = a7.fma(m, c);
      a8 = a8.fma(m, c);
      a9 = a9.fma(m, c);
      a10 = a10.fma(m, c);
      a11 = a11.fma(m, c);
      a12 = a12.fma(m, c);
      a13 = a13.fma(m, c);
      a14 = a14.fma(m, c);
      a15 = a15.fma(m, c);
    }
    final FloatVector sum =
        a0.add(a1)
            .add(a2)
            .add(a3)
            .add(a4)
            .add(a5)
            .add(a6)
            .add(a7)
            .add(a8)
            .add(a9)
            .add(a10)
            .add(a11)
            .add(a12)
            .add(a13)
            .add(a14)
            .add(a15);
    return sum(sum);
  }

  private static float sum(final FloatVector v) {
    float sum = 0f;
    for (final float lane : v.toArray()) {
      sum += lane;
    }
    return sum;
  }
}
