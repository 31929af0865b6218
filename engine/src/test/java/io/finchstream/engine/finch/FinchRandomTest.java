package io.finchstream.engine.finch;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.CheckpointTensor;
import org.junit.jupiter.api.Test;

class FinchRandomTest {

  private static final FinchConfig CONFIG = FinchConfig.standard(2, 128, 32, 5000);

  @Test
  void shouldGiveTheSameValuesWhateverTheReadPattern() {
    final CheckpointTensor emb = FinchRandom.checkpoint(CONFIG, 9).tensor("emb.weight");
    final float[] whole = emb.toFloats();
    final float[] pieces = new float[whole.length];
    // odd-sized reads that straddle generation blocks, in reverse order
    final int step = 4097 * 3 + 5;
    for (int start = (whole.length - 1) / step * step; start >= 0; start -= step) {
      emb.readFloats(start, pieces, start, Math.min(step, whole.length - start));
    }
    assertThat(pieces).isEqualTo(whole); // isEqualTo: containsExactly is quadratic on big arrays
    assertThat(FinchRandom.checkpoint(CONFIG, 9).tensor("emb.weight").toFloats()).isEqualTo(whole);
    assertThat(FinchRandom.checkpoint(CONFIG, 10).tensor("emb.weight").toFloats())
        .isNotEqualTo(whole);
  }

  @Test
  void shouldHaveTheCanonicalLayoutAndRealisticScales() {
    final Checkpoint checkpoint = FinchRandom.checkpoint(CONFIG, 1);
    assertThat(checkpoint.names()).containsExactlyElementsOf(FinchLayout.tensors(CONFIG).keySet());
    assertThat(checkpoint.names()).hasSize(1 + 2 * 28 + 2 + 3);
    assertThat(mean(checkpoint.tensor("blocks.1.ln2.weight").toFloats())).isBetween(0.9, 1.1);
    for (final float v : checkpoint.tensor("blocks.0.att.time_maa_g").toFloats()) {
      assertThat(v).isStrictlyBetween(0f, 1f);
    }
    // decays exp(−exp(time_decay)) spread over (0, 1)
    double min = 1;
    double max = 0;
    for (final float v : checkpoint.tensor("blocks.0.att.time_decay").toFloats()) {
      final double decay = Math.exp(-Math.exp(v));
      min = Math.min(min, decay);
      max = Math.max(max, decay);
    }
    assertThat(min).isLessThan(0.4);
    assertThat(max).isGreaterThan(0.99).isLessThan(1);
    // Linear [out, in] ~ N(0, 1/in)
    final float[] key = checkpoint.tensor("blocks.0.ffn.value.weight").toFloats(); // [C, F]
    assertThat(Math.sqrt(meanSquare(key) * CONFIG.ffnDim())).isBetween(0.95, 1.05);
    assertThat(Math.abs(mean(checkpoint.tensor("blocks.0.att.time_faaaa").toFloats())))
        .isLessThan(0.1);
  }

  private static double mean(final float[] v) {
    double s = 0;
    for (final float x : v) {
      s += x;
    }
    return s / v.length;
  }

  private static double meanSquare(final float[] v) {
    double s = 0;
    for (final float x : v) {
      s += (double) x * x;
    }
    return s / v.length;
  }
}
