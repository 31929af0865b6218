package io.finchstream.processors.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.StoreNames;
import io.finchstream.processors.event.ChatFormat;
import io.finchstream.processors.testing.DirectEngine;
import io.finchstream.processors.testing.DurableState;
import io.finchstream.processors.testing.Events;
import io.finchstream.processors.testing.Fingerprint;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.processors.testing.TopologyFixture;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.Role;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The state of every conversation, advanced lazily in batches, snapshotted and truncated, equals a
 * direct engine replay of its events, bit for bit.
 */
class ConversationStateTest {

  @TempDir Path dir;

  @ParameterizedTest(name = "hot cache {0} bytes")
  @ValueSource(longs = {1L, 64L << 20})
  void shouldKeepEveryConversationBitIdenticalToADirectReplayOfItsEvents(final long hotCacheBytes) {
    final LoadedModel model = TestModels.tinyFinch();
    final Map<String, Object> cfg =
        Map.of(
            "snapshot.interval.tokens",
            40,
            "hot.cache.max.bytes",
            hotCacheBytes,
            "batch.max.tokens",
            17,
            "compute.pending.tokens",
            100);
    try (TopologyFixture fx = new TopologyFixture(model, cfg, dir)) {
      final Map<String, DirectEngine> direct = new LinkedHashMap<>();
      final Random random = new Random(42);
      final String[] texts = {
        "To be, or not to be",
        " that is the question:\n",
        "Whether 'tis nobler in the mind",
        " to suffer\nThe slings and arrows of outrageous fortune,",
        "é ü 中文 🙂",
        ""
      };
      for (int i = 0; i < 60; i++) {
        final String conversation = "conv-" + random.nextInt(6);
        final DirectEngine d =
            direct.computeIfAbsent(
                conversation, c -> new DirectEngine(model.model(), model.tokenizer()));
        if (random.nextInt(3) == 0) {
          final int[] ids = random.ints(1 + random.nextInt(30), 1, 256).toArray();
          fx.send(conversation, Events.appendTokens(ids));
          d.append(ids);
        } else {
          final String text = texts[random.nextInt(texts.length)];
          final Role role = Role.forNumber(1 + random.nextInt(4));
          fx.send(conversation, Events.appendText(text, role));
          d.appendText(ChatFormat.render(role, text));
        }
        if (random.nextInt(5) == 0) {
          fx.punctuate(1);
        }
      }
      fx.settle();
      final DurableState durable = fx.durable();
      for (final Map.Entry<String, DirectEngine> e : direct.entrySet()) {
        final ConversationMeta meta = durable.meta(e.getKey());
        assertThat(meta.getTokens()).isEqualTo(e.getValue().history().length);
        assertThat(Fingerprint.of(model.model(), durable.rebuild(model.model(), e.getKey())))
            .as("state of %s", e.getKey())
            .isEqualTo(Fingerprint.of(model.model(), e.getValue().state()));
      }
      assertThat(fx.metrics.count("finchstream.snapshots")).isGreaterThan(0);
      assertThat(fx.metrics.registry().find("finchstream.batch.conversations").summary().max())
          .isGreaterThan(1);
    }
  }

  @Test
  void shouldSnapshotEveryIntervalAndTruncateTheLogBelowTheOldestSnapshot() {
    final LoadedModel model = TestModels.tinyFinch();
    try (TopologyFixture fx =
        new TopologyFixture(model, Map.of("snapshot.interval.tokens", 50), dir)) {
      final DirectEngine d = new DirectEngine(model.model(), model.tokenizer());
      for (int i = 0; i < 12; i++) {
        final int[] ids = new Random(i).ints(20, 1, 256).toArray();
        fx.send("c", Events.appendTokens(ids));
        d.append(ids);
        fx.settle();
      }
      final DurableState durable = fx.durable();
      final ConversationMeta meta = durable.meta("c");
      assertThat(meta.getTokens()).isEqualTo(240);
      assertThat(meta.getSnapshotPosition()).isBetween(190L, 240L);
      final long oldest = meta.getSnapshots(0).getPosition();
      assertThat(oldest).isPositive();
      assertThat(durable.logEntries("c"))
          .allSatisfy(e -> assertThat(e.end()).isGreaterThan(oldest));
      final var entries = durable.logEntries("c");
      assertThat(meta.getLogStart())
          .as("log start")
          .isEqualTo(entries.isEmpty() ? meta.getSnapshotPosition() : entries.get(0).start());
      assertThat(Fingerprint.of(model.model(), durable.rebuild(model.model(), "c")))
          .isEqualTo(Fingerprint.of(model.model(), d.state()));
    }
  }

  @Test
  void shouldForkAConversationIntoAnIndependentOneWithTheSameState() {
    final LoadedModel model = TestModels.tinyFinch();
    final Tokenizer tok = model.tokenizer();
    try (TopologyFixture fx =
        new TopologyFixture(model, Map.of("snapshot.interval.tokens", 30), dir)) {
      final DirectEngine a = new DirectEngine(model.model(), tok);
      fx.send("a", Events.appendText("Now is the winter of our discontent\nMade glorious summer"));
      a.appendText("Now is the winter of our discontent\nMade glorious summer");
      fx.settle();
      fx.send("a", Events.appendText(" by this sun of York;"));
      a.appendText(" by this sun of York;");
      fx.send("a", Events.fork("b"));
      final DirectEngine b = a.fork();
      fx.settle();
      fx.send("b", Events.appendText(" And all the clouds"));
      b.appendText(" And all the clouds");
      fx.send("a", Events.appendText(" that lour'd upon our house"));
      a.appendText(" that lour'd upon our house");
      fx.settle();
      final DurableState durable = fx.durable();
      assertThat(durable.meta("b").getForkedFrom()).isEqualTo("a");
      assertThat(Fingerprint.of(model.model(), durable.rebuild(model.model(), "a")))
          .isEqualTo(Fingerprint.of(model.model(), a.state()));
      assertThat(Fingerprint.of(model.model(), durable.rebuild(model.model(), "b")))
          .isEqualTo(Fingerprint.of(model.model(), b.state()));
      assertThat(fx.deadLetters()).isEmpty();
    }
  }

  @Test
  void shouldRejectAForkOntoAnExistingConversationAndLeaveItUntouched() {
    final LoadedModel model = TestModels.tinyFinch();
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      fx.send("a", Events.appendText("source"));
      fx.send("b", Events.appendText("target"));
      fx.send("a", Events.fork("b"));
      fx.settle();
      assertThat(fx.deadLetters())
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.value().getCode().name()).isEqualTo("CONVERSATION_EXISTS");
                assertThat(r.value().getSourceOffset()).isEqualTo(2);
                assertThat(r.value().getOriginalKey().toStringUtf8()).isEqualTo("a");
              });
      assertThat(fx.replies())
          .filteredOn(r -> r.hasError())
          .singleElement()
          .satisfies(r -> assertThat(r.getConversationId()).isEqualTo("a"));
      final DirectEngine b =
          new DirectEngine(model.model(), model.tokenizer()).appendText("target");
      assertThat(Fingerprint.of(model.model(), fx.durable().rebuild(model.model(), "b")))
          .isEqualTo(Fingerprint.of(model.model(), b.state()));
    }
  }

  @Test
  void shouldResetToTheEmptyStateAndDeleteEverything() {
    final LoadedModel model = TestModels.tinyFinch();
    try (TopologyFixture fx =
        new TopologyFixture(model, Map.of("snapshot.interval.tokens", 8), dir)) {
      fx.send("a", Events.appendText("a fairly long text that is snapshotted"));
      fx.send("b", Events.appendText("another conversation with a snapshot"));
      fx.settle();
      fx.send("a", Events.reset());
      fx.send("a", Events.appendText("fresh"));
      fx.send("b", Events.delete());
      fx.settle();
      final DurableState durable = fx.durable();
      final DirectEngine a = new DirectEngine(model.model(), model.tokenizer()).appendText("fresh");
      assertThat(durable.meta("a").getTokens()).isEqualTo(5);
      assertThat(Fingerprint.of(model.model(), durable.rebuild(model.model(), "a")))
          .isEqualTo(Fingerprint.of(model.model(), a.state()));
      assertThat(durable.meta("b")).isNull();
      assertThat(durable.logEntries("b")).isEmpty();
      final Map<String, Long> counts = new HashMap<>();
      for (final String store : StoreNames.ALL) {
        try (var it = fx.driver.<Bytes, byte[]>getKeyValueStore(store).all()) {
          it.forEachRemaining(
              kv -> {
                if (new String(kv.key.get(), StandardCharsets.ISO_8859_1).contains("b")) {
                  counts.merge(store, 1L, Long::sum);
                }
              });
        }
      }
      assertThat(counts).isEmpty();
    }
  }
}
