package io.finchstream.engine.goldfinch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.Models;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.MemoryCheckpoint;
import io.finchstream.engine.testing.RandomFinch;
import io.finchstream.engine.testing.RandomGoldFinch;
import org.junit.jupiter.api.Test;

class GoldFinchWeightsTest {

  private static final GoldFinchConfig CONFIG = RandomGoldFinch.small();
  private static final MemoryCheckpoint CHECKPOINT = RandomGoldFinch.checkpoint(CONFIG, 3);

  private static GoldFinchModel load(final Checkpoint ck) {
    return GoldFinchModel.load(ck, LoadOptions.defaults());
  }

  @Test
  void shouldInferSizesFromShapesAndTheSplitFromKeys() {
    assertThat(GoldFinchConfig.infer(CHECKPOINT, 0)).isEqualTo(CONFIG);
    assertThat(CONFIG.finchLayers()).isEqualTo(4);
    assertThat(CONFIG.goldLayers()).isEqualTo(2);
    assertThat(GoldFinchConfig.blockKinds(CHECKPOINT))
        .containsExactly(
            GoldFinchConfig.BlockKind.FINCH_C2,
            GoldFinchConfig.BlockKind.FINCH_C2,
            GoldFinchConfig.BlockKind.FINCH_C2,
            GoldFinchConfig.BlockKind.FINCH_C2,
            GoldFinchConfig.BlockKind.GOLD,
            GoldFinchConfig.BlockKind.GOLD);
    // the released L24 split is 16 + 8, L12 is 8 + 4 (goldfinch-math §1)
    assertThat(GoldFinchConfig.standard(24, 2048, 64, 65536))
        .extracting(
            GoldFinchConfig::finchLayers,
            GoldFinchConfig::goldLayers,
            GoldFinchConfig::compressed,
            GoldFinchConfig::kvRank,
            GoldFinchConfig::ffn)
        .containsExactly(16, 8, 128, 128, 7168);
    assertThat(GoldFinchConfig.standard(12, 768, 64, 65536).window()).isEqualTo(8);
  }

  @Test
  void shouldBeDetectedByModelsFromTheQueryKeys() {
    assertThat(Models.architecture(CHECKPOINT)).isEqualTo("goldfinch");
    assertThat(Models.fromCheckpoint(CHECKPOINT, LoadOptions.defaults()))
        .isInstanceOf(GoldFinchModel.class);
    assertThat(Models.architecture(RandomFinch.checkpoint(RandomFinch.small(), 1)))
        .isEqualTo("finch");
  }

  @Test
  void shouldRejectAMissingGoldTensorNamingFileTensorAndFix() {
    final MemoryCheckpoint broken =
        RandomFinch.edited(
            CHECKPOINT, "broken-goldfinch", "blocks.5.att.ln_k.weight", null, null, null);
    assertThatThrownBy(() -> load(broken))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("broken-goldfinch")
        .hasMessageContaining("blocks.5.att.ln_k.weight")
        .hasMessageContaining("missing")
        .hasMessageContaining("re-export");
  }

  @Test
  void shouldRejectAWrongShape() {
    final MemoryCheckpoint broken =
        RandomFinch.edited(
            CHECKPOINT,
            "bad-shape",
            "blocks.4.att.query.weight",
            "blocks.4.att.query.weight",
            new long[] {32, 33},
            new float[32 * 33]);
    assertThatThrownBy(() -> load(broken))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("blocks.4.att.query.weight")
        .hasMessageContaining("[32, 33]")
        .hasMessageContaining("needs [32, 32]");
    final MemoryCheckpoint badCompression =
        RandomFinch.edited(
            CHECKPOINT,
            "bad-kv",
            "w_kv_cache_b.weight",
            "w_kv_cache_b.weight",
            new long[] {32, 32},
            new float[32 * 32]);
    assertThatThrownBy(() -> load(badCompression))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("w_kv_cache_b.weight")
        .hasMessageContaining("needs [32, 34]");
  }

  @Test
  void shouldRejectMissingCompressionAndLeftovers() {
    final MemoryCheckpoint noCompression =
        RandomFinch.edited(CHECKPOINT, "no-kv", "w_kv_cache_a.weight", null, null, null);
    assertThatThrownBy(() -> load(noCompression))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("w_kv_cache_a.weight");
    final MemoryCheckpoint extra =
        RandomFinch.edited(
            CHECKPOINT,
            "extra",
            null,
            "blocks.5.att.key.weight",
            new long[] {32, 32},
            new float[32 * 32]);
    assertThatThrownBy(() -> load(extra))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("unexpected")
        .hasMessageContaining("blocks.5.att.key.weight");
  }

  @Test
  void shouldRejectMixedOrPlainFinchBlocks() {
    final MemoryCheckpoint gated =
        RandomFinch.edited(
            CHECKPOINT,
            "gated",
            null,
            "blocks.1.att.gate.weight",
            new long[] {32, 32},
            new float[32 * 32]);
    assertThatThrownBy(() -> load(gated))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("plain Finch");
    final MemoryCheckpoint goldFirst =
        RandomFinch.edited(
            CHECKPOINT,
            "gold-first",
            null,
            "blocks.0.att.query.weight",
            new long[] {32, 32},
            new float[32 * 32]);
    assertThatThrownBy(() -> load(goldFirst))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("follows a GOLD block");
  }

  @Test
  void shouldDetectRopeFromTheReleasedFileName() {
    assertThat(GoldFinchConfig.ropeThetaFromFileName("goldfinch_rope10k.pth")).isEqualTo(10000.0);
    assertThat(GoldFinchConfig.ropeThetaFromFileName("goldfinch.pth")).isZero();
    assertThat(GoldFinchConfig.ropeThetaFromFileName("goldfinch_gold_invratio_2.pth")).isZero();
  }
}
