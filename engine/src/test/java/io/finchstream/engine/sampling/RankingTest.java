package io.finchstream.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RankingTest {

  /** Logits with many exact ties, signed zeros, extremes and masked (−∞) tokens. */
  private static float[] trickyLogits(final long seed, final int vocab) {
    final Random random = new Random(seed);
    final float[] pool = {
      Float.NEGATIVE_INFINITY, -3.5f, -0.0f, 0.0f, 1e-30f, 2f, 2f, Float.MAX_VALUE, -Float.MAX_VALUE
    };
    final float[] logits = new float[vocab];
    for (int i = 0; i < vocab; i++) {
      logits[i] =
          random.nextBoolean() ? pool[random.nextInt(pool.length)] : (float) random.nextGaussian();
    }
    return logits;
  }

  /** Oracle: a boxed sort with an explicit comparator. */
  private static List<Integer> expectedOrder(final float[] logits) {
    final List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < logits.length; i++) {
      if (logits[i] != Float.NEGATIVE_INFINITY) {
        ids.add(i);
      }
    }
    ids.sort(
        Comparator.<Integer>comparingDouble(i -> -(logits[i] + 0.0f)).thenComparingInt(i -> i));
    return ids;
  }

  private static List<Integer> ranked(final Ranking ranking, final int count) {
    final List<Integer> ids = new ArrayList<>();
    for (int rank = 0; rank < count; rank++) {
      ids.add(ranking.id(rank));
    }
    return ids;
  }

  @Test
  void shouldRankByLogitDescendingThenIdAscending() {
    for (final int vocab : new int[] {1, 5, 63, 64, 65, 500, 20_000}) {
      final float[] logits = trickyLogits(vocab, vocab);
      final List<Integer> expected = expectedOrder(logits);
      final Ranking ranking = new Ranking();
      ranking.reset(logits, vocab, 0);
      assertThat(ranking.size()).isEqualTo(expected.size());
      assertThat(ranked(ranking, ranking.size())).as("V=%d", vocab).isEqualTo(expected);
    }
  }

  @Test
  void shouldGiveTheSameOrderWhateverTheSortingDepth() {
    final float[] logits = trickyLogits(77, 10_000);
    final List<Integer> expected = expectedOrder(logits);
    final Ranking ranking = new Ranking();
    ranking.reset(logits, logits.length, 0);
    // jump deep first, then read from the top: lazily sorted windows must agree with a full sort
    assertThat(ranking.id(5000)).isEqualTo(expected.get(5000));
    assertThat(ranked(ranking, 300)).isEqualTo(expected.subList(0, 300));
  }

  @Test
  void shouldKeepOnlyTheBestKWithTopK() {
    final float[] logits = trickyLogits(5, 3000);
    final List<Integer> expected = expectedOrder(logits);
    final Ranking ranking = new Ranking();
    for (final int k : new int[] {1, 2, 3, 7, 64, 65, 200, expected.size() - 1}) {
      ranking.reset(logits, logits.length, k);
      assertThat(ranking.size()).isEqualTo(k);
      assertThat(ranked(ranking, k)).as("top-%d", k).isEqualTo(expected.subList(0, k));
      for (int id = 0; id < logits.length; id++) {
        assertThat(ranking.isCandidate(logits[id], id))
            .isEqualTo(expected.subList(0, k).contains(id));
      }
    }
  }

  @Test
  void shouldTreatTopKAtLeastTheCandidateCountAsOff() {
    final float[] logits = {1f, Float.NEGATIVE_INFINITY, 3f};
    final Ranking ranking = new Ranking();
    ranking.reset(logits, 3, 5);
    assertThat(ranked(ranking, ranking.size())).containsExactly(2, 0);
    assertThat(ranking.isCandidate(logits[1], 1)).isFalse();
  }
}
