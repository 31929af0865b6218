package io.finchstream.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TokenCountsTest {

  @Test
  void shouldCountOccurrencesInFirstSeenOrder() {
    final TokenCounts counts = TokenCounts.of(7, 3, 7, 0, 7);
    assertThat(counts.total()).isEqualTo(5);
    assertThat(counts.distinct()).isEqualTo(3);
    assertThat(counts.count(7)).isEqualTo(3);
    assertThat(counts.count(3)).isEqualTo(1);
    assertThat(counts.count(0)).isEqualTo(1);
    assertThat(counts.count(4)).isZero();
    assertThat(new int[] {counts.tokenAt(0), counts.tokenAt(1), counts.tokenAt(2)})
        .containsExactly(7, 3, 0);
    assertThat(new int[] {counts.countAt(0), counts.countAt(1), counts.countAt(2)})
        .containsExactly(3, 1, 1);
  }

  @Test
  void shouldAgreeWithAMapOverManyDistinctTokens() {
    final Random random = new Random(1);
    final TokenCounts counts = new TokenCounts();
    final Map<Integer, Integer> expected = new LinkedHashMap<>();
    for (int i = 0; i < 50_000; i++) {
      final int token = random.nextInt(random.nextBoolean() ? 100 : 65_536);
      counts.add(token);
      expected.merge(token, 1, Integer::sum);
    }
    assertThat(counts.distinct()).isEqualTo(expected.size());
    assertThat(counts.total()).isEqualTo(50_000);
    int i = 0;
    for (final Map.Entry<Integer, Integer> e : expected.entrySet()) {
      assertThat(counts.tokenAt(i)).isEqualTo(e.getKey());
      assertThat(counts.countAt(i)).isEqualTo(e.getValue());
      assertThat(counts.count(e.getKey())).isEqualTo(e.getValue());
      i++;
    }
  }

  @Test
  void shouldCopyIndependently() {
    final TokenCounts counts = TokenCounts.of(1, 2);
    final TokenCounts copy = counts.copy();
    copy.add(1);
    assertThat(counts.count(1)).isEqualTo(1);
    assertThat(copy.count(1)).isEqualTo(2);
    assertThat(counts.total()).isEqualTo(2);
  }

  @Test
  void shouldRejectNegativeIdsAndBadIndexes() {
    assertThatThrownBy(() -> new TokenCounts().add(-1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TokenCounts.of(1).tokenAt(1))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }
}
