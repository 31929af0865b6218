package io.finchstream.engine.goldfinch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class GoldFinchLayoutTest {

  private static long parameters(final Map<String, long[]> tensors) {
    long n = 0;
    for (final long[] shape : tensors.values()) {
      long p = 1;
      for (final long d : shape) {
        p *= d;
      }
      n += p;
    }
    return n;
  }

  @Test
  void shouldMatchTheReleasedL24CheckpointsTensorAndParameterCounts() {
    // goldfinch-math §6.1: L24 D2048 goldfinch.pth has 728 tensors and 1,445,257,216 parameters
    final GoldFinchConfig l24 =
        new GoldFinchConfig(65536, 2048, 32, 64, 7168, 128, 16, 8, 32, 64, 64, 32, 32, 128, 0);
    final Map<String, long[]> tensors = GoldFinchLayout.tensors(l24);
    assertThat(tensors).hasSize(728);
    assertThat(parameters(tensors)).isEqualTo(1_445_257_216L);
  }

  @Test
  void shouldMatchTheReleasedL12CheckpointsTensorAndParameterCounts() {
    // goldfinch-math §6.1: L12 D768 goldfinch.pth has 368 tensors and 186,617,856 parameters
    final GoldFinchConfig l12 =
        new GoldFinchConfig(65536, 768, 12, 64, 2688, 48, 8, 4, 32, 64, 64, 32, 32, 64, 0);
    final Map<String, long[]> tensors = GoldFinchLayout.tensors(l12);
    assertThat(tensors).hasSize(368);
    assertThat(parameters(tensors)).isEqualTo(186_617_856L);
    assertThat(tensors)
        .containsKeys(
            "blocks.7.att.time_value2_w1", "blocks.8.att.query.weight", "w_kv_cache_b.weight");
    assertThat(tensors.get("w_kv_cache_b.weight")).containsExactly(768, 768 + 48);
  }
}
