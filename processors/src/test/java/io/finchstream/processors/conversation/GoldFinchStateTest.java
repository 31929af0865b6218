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
import io.finchstream.proto.v1.ConversationMeta;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GoldFinch conversations: the token cache is stored in blocks, restored, forked, and stays
 * bit-identical.
 */
class GoldFinchStateTest {

  @TempDir Path dir;

  private final LoadedModel model = TestModels.randomGoldFinch();

  @Test
  void shouldStoreTheCacheInBlocksAndRestoreStatesBitIdentically() {
    // A 1-byte hot cache: every state is rebuilt from snapshot + cache blocks + log each time.
    try (TopologyFixture fx =
        new TopologyFixture(
            model, Map.of("snapshot.interval.tokens", 20, "hot.cache.max.bytes", 1L), dir)) {
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
  void shouldWriteOnlyTheChangedCacheBlocksAtEachSnapshot() {
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
      assertThat(fx.durable().meta("c").getSnapshotPosition()).isEqualTo(160);
      // 160 tokens = 10 blocks; each snapshot of 8 new tokens rewrites at most the last two blocks.
      assertThat(perSnapshot)
          .allSatisfy(
              bytes -> assertThat(bytes).isPositive().isLessThanOrEqualTo(2.5 * blockBytes));
    }
  }
}
