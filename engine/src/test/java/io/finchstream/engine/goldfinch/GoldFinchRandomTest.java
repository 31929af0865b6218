package io.finchstream.engine.goldfinch;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.testing.RandomGoldFinch;
import java.util.List;
import org.junit.jupiter.api.Test;

class GoldFinchRandomTest {

  private static final GoldFinchConfig CONFIG = GoldFinchConfig.standard(6, 64, 32, 300);

  @Test
  void shouldHaveTheCanonicalLayoutAndBeReproducible() {
    final Checkpoint checkpoint = GoldFinchRandom.checkpoint(CONFIG, 1);
    assertThat(checkpoint.names())
        .containsExactlyElementsOf(GoldFinchLayout.tensors(CONFIG).keySet());
    assertThat(GoldFinchConfig.infer(checkpoint, 0)).isEqualTo(CONFIG);
    assertThat(checkpoint.tensor("blocks.5.att.query.weight").toFloats())
        .containsExactly(
            GoldFinchRandom.checkpoint(CONFIG, 1).tensor("blocks.5.att.query.weight").toFloats())
        .isNotEqualTo(
            GoldFinchRandom.checkpoint(CONFIG, 2).tensor("blocks.5.att.query.weight").toFloats());
  }

  @Test
  void shouldGiveNonDegenerateLogitsAndAttention() {
    final GoldFinchModel model = RandomGoldFinch.model(CONFIG, 1, LoadOptions.defaults(), 16);
    final GoldFinchState state = model.newState();
    final int[] tokens = new int[40];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = (i * 37) % CONFIG.vocab();
    }
    model.ingest(List.of(state), List.of(tokens));
    final float[][] out = new float[1][CONFIG.vocab()];
    model.logits(List.of(state), out);
    double mean = 0;
    double square = 0;
    for (final float v : out[0]) {
      mean += v;
      square += (double) v * v;
    }
    mean /= out[0].length;
    final double std = Math.sqrt(square / out[0].length - mean * mean);
    assertThat(std).as("logits spread like a trained model's (a few units)").isBetween(0.5, 10.0);
    // the compressed keys vary from token to token
    final float[] c0 = new float[CONFIG.compressed()];
    final float[] c1 = new float[CONFIG.compressed()];
    state.cache().compressedKey(10, c0, 0);
    state.cache().compressedKey(11, c1, 0);
    assertThat(c0).isNotEqualTo(c1);
  }
}
