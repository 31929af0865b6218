package io.finchstream.engine.io;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** The committed fixtures are consistent with their description. */
class FixturesTest {

  @Test
  void shouldServeReferenceLogitsMatchingTheirDescription() {
    final JsonNode meta = Fixtures.finchTinyMeta();
    final int[] tokens = Fixtures.finchTinyTokens();
    final float[][] logits = Fixtures.finchTinyLogits();
    assertThat(tokens).startsWith(34, 105, 110);
    assertThat(logits).hasNumberOfRows(tokens.length);
    final JsonNode argmax = meta.get("logits").get("argmax");
    for (int t = 0; t < logits.length; t++) {
      assertThat(logits[t]).hasSize(meta.get("model").get("n_vocab").asInt());
      int best = 0;
      for (int v = 1; v < logits[t].length; v++) {
        best = logits[t][v] > logits[t][best] ? v : best;
      }
      assertThat(best).as("argmax of row %d", t).isEqualTo(argmax.get(t).asInt());
    }
  }
}
