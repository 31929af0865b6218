package io.finchstream.processors.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.LanguageModel;
import io.finchstream.processors.FinchstreamMetrics;
import io.finchstream.processors.testing.TestModels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HotStateCacheTest {

  private final LanguageModel model = TestModels.tinyFinch().model();
  private final long stateBytes = model.newState().memoryBytes();
  private final FinchstreamMetrics metrics = FinchstreamMetrics.simple();

  @Test
  void shouldEvictTheLeastRecentlyUsedAcrossCachesSharingABudget() {
    final MemoryBudget budget = new MemoryBudget(3 * stateBytes);
    final List<String> evicted = new ArrayList<>();
    final HotStateCache first = new HotStateCache(budget, metrics, (c, e) -> evicted.add(c));
    final HotStateCache second = new HotStateCache(budget, metrics, (c, e) -> evicted.add(c));
    first.put("a", model.newState(), 1);
    first.put("b", model.newState(), 1);
    second.put("x", model.newState(), 1);
    first.get("a");
    first.put("c", model.newState(), 1);
    assertThat(evicted).containsExactly("b");
    assertThat(budget.used()).isEqualTo(3 * stateBytes);
    first.clear();
    second.clear();
    assertThat(budget.used()).isZero();
  }

  @Test
  void shouldNeverEvictPinnedStatesNorReportRemovalsAsEvictions() {
    final MemoryBudget budget = new MemoryBudget(stateBytes);
    final List<String> evicted = new ArrayList<>();
    final HotStateCache cache = new HotStateCache(budget, metrics, (c, e) -> evicted.add(c));
    cache.put("pinned", model.newState(), 1);
    cache.pin("pinned", true);
    cache.put("other", model.newState(), 1);
    assertThat(cache.get("pinned")).isNotNull();
    cache.remove("other");
    assertThat(evicted).isEmpty();
    final HotStateCache.Entry kept = cache.get("pinned");
    cache.pin("pinned", false);
    cache.put("third", model.newState(), 1);
    assertThat(evicted).containsExactly("pinned");
    cache.keep("pinned", kept);
    assertThat(cache.get("pinned")).isSameAs(kept);
    assertThat(evicted).containsExactly("pinned", "third");
  }
}
