package io.finchstream.processors.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.StoreNames;
import io.finchstream.processors.testing.DirectEngine;
import io.finchstream.processors.testing.DurableState;
import io.finchstream.processors.testing.Events;
import io.finchstream.processors.testing.Fingerprint;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.processors.testing.TopologyFixture;
import io.finchstream.processors.testing.Transcript;
import io.finchstream.proto.v1.ConversationMeta;
import io.micrometer.core.instrument.Counter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GoldFinch conversations: the token cache is stored in blocks, restored, forked, and stays
 * bit-identical.
 */
class GoldFinchStateTest {

  @TempDir Path dir;

  private final LoadedModel model = TestModels.randomGoldFinch();

  @Test
  void shouldStoreTheCacheInBlocksAndRestoreStatesBitIdentically() {
    // A 1-byte hot cache: every state is rebuilt from snapshot + cache blocks + log each time
    // (and no length bound, which would follow the hot cache's size by default).
    try (TopologyFixture fx =
        new TopologyFixture(
            model,
            Map.of(
                "snapshot.interval.tokens", 20,
                "hot.cache.max.bytes", 1L,
                "max.conversation.tokens", 0L),
            dir)) {
      final DirectEngine a = new DirectEngine(model.model(), model.tokenizer());
      final DirectEngine b = new DirectEngine(model.model(), model.tokenizer());
      final Random random = new Random(3);
      for (int i = 0; i < 15; i++) {
        final int[] ids = random.ints(3 + random.nextInt(10), 1, 256).toArray();
        fx.send(i % 2 == 0 ? "a" : "b", Events.appendTokens(ids));
        (i % 2 == 0 ? a : b).append(ids);
        fx.punctuate(1);
      }
      fx.send("a", Events.generateSampled("ga", 20, 9));
      fx.settle();
      fx.send("a", Events.fork("a2"));
      fx.settle();
      final DirectEngine a2Direct;
      final DurableState durable = fx.durable();
      a.append(
          fx.replies("ga").stream()
              .filter(r -> r.hasChunk())
              .flatMap(r -> r.getChunk().getTokenIdsList().stream())
              .mapToInt(Integer::intValue)
              .toArray());
      a2Direct = a.fork();
      fx.send("a2", Events.appendText(" forked"));
      a2Direct.appendText(" forked");
      fx.settle();
      for (final var e : Map.of("a", a, "b", b, "a2", a2Direct).entrySet()) {
        final ConversationMeta meta = durable.meta(e.getKey());
        assertThat(meta.getCacheBlockSize()).isEqualTo(16);
        assertThat(meta.getCacheBytes())
            .isEqualTo(meta.getTokens() * model.info().cacheBytesPerToken());
        assertThat(Fingerprint.of(model.model(), durable.rebuild(model.model(), e.getKey())))
            .as(e.getKey())
            .isEqualTo(Fingerprint.of(model.model(), e.getValue().state()));
        assertThat(durable.rebuild(model.model(), e.getKey()).cache().size())
            .isEqualTo(e.getValue().state().cache().size());
      }
      assertThat(durable.meta("a").getSnapshotPosition()).isGreaterThan(32);
    }
  }

  @Test
  void shouldWriteEachFullCacheBlockOnceAndThePartialBlockInsideTheSnapshot() {
    try (TopologyFixture fx =
        new TopologyFixture(model, Map.of("snapshot.interval.tokens", 8), dir)) {
      final long blockBytes = 16L * model.info().cacheBytesPerToken();
      final List<Double> perSnapshot = new ArrayList<>();
      double before =
          fx.metrics.count("finchstream.store.bytes.written", "store", StoreNames.CACHE);
      for (int i = 0; i < 20; i++) {
        fx.send("c", Events.appendTokens(new Random(i).ints(8, 1, 256).toArray()));
        fx.settle();
        final double now =
            fx.metrics.count("finchstream.store.bytes.written", "store", StoreNames.CACHE);
        perSnapshot.add(now - before);
        before = now;
      }
      final ConversationMeta meta = fx.durable().meta("c");
      assertThat(meta.getSnapshotPosition()).isEqualTo(160);
      assertThat(meta.getCacheFullBlocks()).isEqualTo(10);
      // 160 tokens = 10 blocks of 16; 8 tokens per snapshot: every other snapshot completes one
      // block, which is written once; the partial block travels inside the snapshot.
      assertThat(perSnapshot)
          .allSatisfy(bytes -> assertThat(bytes).isLessThanOrEqualTo(1.2 * blockBytes));
      assertThat(perSnapshot.stream().filter(b -> b > 0)).hasSize(10);
    }
  }

  /**
   * With a 1-byte hot cache, and another conversation's state taking it before each rewind, g's
   * state is restored from a snapshot and the cache blocks each time; with room for the hot state,
   * a rewind cuts the hot state's cache at the turn's snapshot instead (and keeps the keys it
   * computed). Both must give the state a direct replay gives.
   */
  @ParameterizedTest(name = "hot cache of {0} bytes")
  @ValueSource(longs = {1L, 256L * 1024 * 1024})
  void shouldReturnToTurnsAcrossCacheBlocksAndCutTheCacheThere(final long hotCacheBytes) {
    try (TopologyFixture fx =
        new TopologyFixture(
            model,
            Map.of(
                "hot.cache.max.bytes",
                hotCacheBytes,
                "max.conversation.tokens",
                0L, // not bounded by the tiny hot cache
                "checkpoint.recent.turns",
                3,
                "checkpoint.spacing.tokens",
                8),
            dir)) {
      final Random random = new Random(11);
      Transcript t = new Transcript();
      for (int i = 0; i < 12; i++) {
        final int[] ids = random.ints(5 + random.nextInt(9), 1, 256).toArray();
        fx.send("g", Events.appendTokens(ids));
        t = t.tokens(ids);
        fx.settle();
      }
      final long first = fx.durable().meta("g").getFirstMessage();
      // back to a turn whose block is partial, on with other tokens (a different history), again
      for (final int n : new int[] {10, 7, (int) Math.max(first, 5)}) {
        if (hotCacheBytes == 1L) {
          // another conversation's state takes the one-byte hot cache: g is evicted
          fx.send("other", Events.appendTokens(random.ints(3, 1, 256).toArray()));
          fx.settle();
        }
        fx.send("g", Events.rewind(n));
        final int[] ids = random.ints(20, 1, 256).toArray();
        fx.send("g", Events.appendTokens(ids));
        t = t.first(n).tokens(ids);
        fx.settle();
        final DurableState durable = fx.durable();
        final ConversationMeta meta = durable.meta("g");
        assertThat(meta.getTokens()).isEqualTo(t.position(t.size()));
        final var expected = t.replay(model.model(), model.tokenizer()).state();
        final var rebuilt = durable.rebuild(model.model(), "g");
        assertThat(Fingerprint.of(model.model(), rebuilt))
            .as("after rewinding to %d", n)
            .isEqualTo(Fingerprint.of(model.model(), expected));
        assertThat(rebuilt.cache().size()).isEqualTo(expected.cache().size());
        assertThat(meta.getCacheFullBlocks()).isLessThanOrEqualTo(meta.getSnapshotPosition() / 16);
      }
      assertThat(fx.deadLetters()).isEmpty();
      final Counter cut =
          fx.metrics
              .registry()
              .find("finchstream.events")
              .tag("type", "rewind_cache_cut")
              .counter();
      assertThat(cut == null ? 0 : cut.count())
          .as("rewinds that cut the hot state's cache instead of restoring it from the blocks")
          .isEqualTo(hotCacheBytes == 1L ? 0 : 3);
    }
  }
}
