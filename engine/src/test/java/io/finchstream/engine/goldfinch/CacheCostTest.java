package io.finchstream.engine.goldfinch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class CacheCostTest {

  @Test
  void shouldReproduceThePapersRatiosFromTheArithmetic() {
    // L24/D2048 (R = 128) and the L80/D8192 end of "756-2550 times smaller" (goldfinch-math §3.2)
    final CacheCost l24 = new CacheCost(24, 2048, 128, 8);
    assertThat(l24.paperBytesPerToken()).isEqualTo(260);
    assertThat(l24.transformerKvBytesPerToken(2)).isEqualTo(196_608);
    assertThat(l24.paperRatio()).isCloseTo(756.2, within(0.05));
    assertThat(new CacheCost(80, 8192, 512, 27).paperRatio()).isCloseTo(2550.0, within(0.05));
  }

  @Test
  void shouldCountTheCacheAsStored() {
    final CacheCost l24 = new CacheCost(24, 2048, 128, 8);
    assertThat(l24.canonicalBytesPerToken()).isEqualTo(4 + 128 * 4);
    assertThat(l24.ratioAsStored()).isCloseTo(2.0 * 24 * 2048 * 4 / 516, within(1e-9));
    // kD plus 8 layers of k and v, fp32
    assertThat(l24.derivedBytesPerToken(4)).isEqualTo(4L * 2048 * 16);
    assertThat(l24.derivedBytesPerToken(2)).isEqualTo(2L * 2048 * 16);
  }
}
