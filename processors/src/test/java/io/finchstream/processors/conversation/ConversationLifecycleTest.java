package io.finchstream.processors.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.finchstream.engine.ModelState;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.StoreNames;
import io.finchstream.processors.store.ChunkedBlobs;
import io.finchstream.processors.store.KafkaBinaryStore;
import io.finchstream.processors.store.ProtoStore;
import io.finchstream.processors.store.StoreKey;
import io.finchstream.processors.store.TokenLog;
import io.finchstream.processors.testing.Events;
import io.finchstream.processors.testing.Fingerprint;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.processors.testing.TopologyFixture;
import io.finchstream.processors.testing.Transcript;
import io.finchstream.proto.MessageHistory;
import io.finchstream.proto.v1.BlobPart;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.Role;
import io.finchstream.proto.v1.TokenLogRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Idle conversations expire with tombstones for every record; stored data of the first layout
 * upgrades.
 */
class ConversationLifecycleTest {

  @TempDir Path dir;

  @Test
  void shouldExpireIdleConversationsButNotBusyOnes() {
    final LoadedModel model = TestModels.randomFinch();
    try (TopologyFixture fx =
        new TopologyFixture(
            model, Map.of("conversation.idle.expiry.ms", 60_000L, "compute.budget.ms", 1), dir)) {
      fx.send("idle", Events.appendText("Anyone there?", Role.ROLE_USER));
      fx.send("busy", Events.appendText("Tell me a long story.", Role.ROLE_USER));
      fx.settle();
      fx.driver.advanceWallClockTime(Duration.ofSeconds(40));
      fx.send("fresh", Events.appendText("Hello", Role.ROLE_USER));
      fx.send("busy", Events.generateGreedy("story", 4000));
      fx.punctuate(3);
      fx.driver.advanceWallClockTime(Duration.ofSeconds(40));
      fx.punctuate(3);
      assertThat(fx.durable().meta("idle")).isNull();
      assertThat(fx.durable().logEntries("idle")).isEmpty();
      assertThat(fx.durable().meta("fresh")).isNotNull();
      assertThat(fx.durable().meta("busy")).as("a generating conversation stays").isNotNull();
      assertThat(fx.metrics.count("finchstream.events", "type", "expired")).isEqualTo(1.0);
      for (final String store : StoreNames.ALL) {
        try (var it = fx.driver.<Bytes, byte[]>getKeyValueStore(store).all()) {
          it.forEachRemaining(
              kv ->
                  assertThat(new String(kv.key.get(), StandardCharsets.ISO_8859_1))
                      .as("a record of %s in %s", "idle", store)
                      .doesNotContain("idle"));
        }
      }
    }
  }

  @Test
  void shouldUpgradeAConversationStoredByTheFirstLayoutWithoutRecomputingIt() {
    final LoadedModel model = TestModels.randomGoldFinch();
    final int[] history = new Random(5).ints(45, 1, 256).toArray();
    final ModelState at40 = model.model().newState();
    model.model().ingest(List.of(at40), List.of(Arrays.copyOf(history, 40)));
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      // what the first layout stored: one snapshot at index 0, the partial block in the cache store
      final ChunkedBlobs snapshots =
          new ChunkedBlobs(
              new ProtoStore<>(
                  StoreNames.SNAPSHOTS,
                  new KafkaBinaryStore(fx.driver.getKeyValueStore(StoreNames.SNAPSHOTS)),
                  BlobPart.parser()),
              900_000);
      final ChunkedBlobs cache =
          new ChunkedBlobs(
              new ProtoStore<>(
                  StoreNames.CACHE,
                  new KafkaBinaryStore(fx.driver.getKeyValueStore(StoreNames.CACHE)),
                  BlobPart.parser()),
              900_000);
      final int parts = snapshots.put("old", 0, 40, at40.recurrentBytes());
      for (int b = 0; b < at40.cache().blockCount(); b++) {
        cache.put("old", b, Math.min(16, 40 - 16L * b), at40.cache().block(b));
      }
      new TokenLog(
              new ProtoStore<>(
                  StoreNames.TOKENS,
                  new KafkaBinaryStore(fx.driver.getKeyValueStore(StoreNames.TOKENS)),
                  TokenLogRecord.parser()),
              65_536)
          .append("old", 40, Arrays.copyOfRange(history, 40, 45));
      final ByteString digest =
          MessageHistory.appendTokens(ByteString.EMPTY, Arrays.stream(history).boxed().toList());
      new ProtoStore<>(
              StoreNames.META,
              new KafkaBinaryStore(fx.driver.getKeyValueStore(StoreNames.META)),
              ConversationMeta.parser())
          .put(
              StoreKey.id("old"),
              ConversationMeta.newBuilder()
                  .setSchemaVersion(1)
                  .setModelId(model.info().id())
                  .setTokens(45)
                  .setSnapshotPosition(40)
                  .setSnapshotParts(parts)
                  .setIncarnation(1)
                  .setCacheBlockSize(16)
                  .setLogStart(40)
                  .setMessages(1)
                  .setMessageDigest(digest)
                  .build());
      fx.send("old", Events.appendTokens(7, 8, 9));
      fx.settle();
      final ConversationMeta meta = fx.durable().meta("old");
      assertThat(meta.getLayout()).isEqualTo(1);
      assertThat(meta.getFirstMessage()).isEqualTo(1);
      assertThat(meta.getMessages()).isEqualTo(2);
      final Transcript expected = new Transcript().tokens(history).tokens(7, 8, 9);
      assertThat(Fingerprint.of(model.model(), fx.durable().rebuild(model.model(), "old")))
          .isEqualTo(
              Fingerprint.of(
                  model.model(), expected.replay(model.model(), model.tokenizer()).state()));
      // turns after the upgrade are checkpoints; the one before it has none (first_message)
      fx.send("old", Events.appendText("more", Role.ROLE_USER));
      fx.send("old", Events.rewind(2));
      fx.send("old", Events.rewind(1));
      fx.settle();
      assertThat(fx.deadLetters())
          .extracting(r -> r.value().getCode().name())
          .containsExactly("TURN_NOT_RETAINED");
      assertThat(Fingerprint.of(model.model(), fx.durable().rebuild(model.model(), "old")))
          .isEqualTo(
              Fingerprint.of(
                  model.model(), expected.replay(model.model(), model.tokenizer()).state()));
      assertThat(fx.durable().meta("old").getMessageDigest()).isEqualTo(expected.digest());
    }
  }
}
