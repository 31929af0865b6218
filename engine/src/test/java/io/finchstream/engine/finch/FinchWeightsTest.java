package io.finchstream.engine.finch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.WeightPrecision;
import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.MemoryCheckpoint;
import io.finchstream.engine.testing.RandomFinch;
import java.util.Arrays;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class FinchWeightsTest {

  private static final FinchConfig CONFIG = FinchConfig.standard(2, 64, 16, 97);
  private static final MemoryCheckpoint CHECKPOINT = RandomFinch.checkpoint(CONFIG, 41);

  @Test
  void shouldInferEveryHyperParameterFromShapes() {
    final FinchConfig inferred = FinchConfig.infer(CHECKPOINT);
    assertThat(inferred).isEqualTo(CONFIG);
    assertThat(inferred.heads()).isEqualTo(4);
    assertThat(inferred.ffnDim()).isEqualTo(224);
    assertThat(inferred.mixRank()).isEqualTo(32);
    assertThat(inferred.decayRank()).isEqualTo(64);
  }

  @Test
  void shouldUseTheReleasedModelSizes() {
    // finch-math §3.2: 1.6B is L24 C2048 F7168 H32, 7B C4096 F14336 with LoRA ranks 64/128
    final FinchConfig b16 = FinchConfig.standard(24, 2048, 64, 65536);
    assertThat(b16.ffnDim()).isEqualTo(7168);
    assertThat(b16.heads()).isEqualTo(32);
    assertThat(FinchConfig.standard(32, 4096, 64, 65536))
        .extracting(FinchConfig::ffnDim, FinchConfig::mixRank, FinchConfig::decayRank)
        .containsExactly(14336, 64, 128);
    final long params =
        FinchLayout.tensors(b16).values().stream()
            .mapToLong(s -> Arrays.stream(s).reduce(1, (a, b) -> a * b))
            .sum();
    assertThat(params).isBetween(1_590_000_000L, 1_610_000_000L);
  }

  @Test
  void shouldRejectAMissingTensorNamingFileTensorAndFix() {
    final MemoryCheckpoint broken =
        RandomFinch.edited(CHECKPOINT, "broken-41", "blocks.1.att.gate.weight", null, null, null);
    assertThatThrownBy(() -> FinchModel.load(broken, LoadOptions.defaults()))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("broken-41")
        .hasMessageContaining("blocks.1.att.gate.weight")
        .hasMessageContaining("missing")
        .hasMessageContaining("re-export");
  }

  @Test
  void shouldRejectAWrongShape() {
    final MemoryCheckpoint broken =
        RandomFinch.edited(
            CHECKPOINT,
            "edited",
            null,
            "blocks.0.ffn.value.weight",
            new long[] {224, 64},
            new float[224 * 64]);
    assertThatThrownBy(() -> FinchModel.load(broken, LoadOptions.defaults()))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("blocks.0.ffn.value.weight")
        .hasMessageContaining("[224, 64]")
        .hasMessageContaining("needs [64, 224]");
  }

  @Test
  void shouldRejectLeftoverTensors() {
    final MemoryCheckpoint extra =
        RandomFinch.edited(
            CHECKPOINT,
            "edited",
            null,
            "blocks.0.att.time_state",
            new long[] {4, 16, 16},
            new float[4 * 16 * 16]);
    assertThatThrownBy(() -> FinchModel.load(extra, LoadOptions.defaults()))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("unexpected")
        .hasMessageContaining("blocks.0.att.time_state");
    final MemoryCheckpoint moreBlocks =
        RandomFinch.edited(
            CHECKPOINT, "edited", null, "blocks.7.ln2.weight", new long[] {64}, new float[64]);
    assertThatThrownBy(() -> FinchModel.load(moreBlocks, LoadOptions.defaults()))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("blocks.7.ln2.weight");
  }

  @Test
  void shouldRejectANonFinchCheckpoint() {
    final MemoryCheckpoint noFinch =
        RandomFinch.edited(CHECKPOINT, "no-faaaa", "blocks.0.att.time_faaaa", null, null, null);
    assertThatThrownBy(() -> FinchModel.load(noFinch, LoadOptions.defaults()))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("blocks.0.att.time_faaaa");
  }

  @Test
  void shouldFoldLn0IntoTheEmbedding() {
    final FinchWeights weights = FinchModel.load(CHECKPOINT, LoadOptions.defaults()).weights();
    final float[] emb = CHECKPOINT.tensor("emb.weight").toFloats();
    final float[] w = CHECKPOINT.tensor("blocks.0.ln0.weight").toFloats();
    final float[] b = CHECKPOINT.tensor("blocks.0.ln0.bias").toFloats();
    final int c = CONFIG.dim();
    for (final int row : new int[] {0, 5, 96}) {
      double mean = 0;
      for (int i = 0; i < c; i++) {
        mean += emb[row * c + i] / (double) c;
      }
      double var = 0;
      for (int i = 0; i < c; i++) {
        var += Math.pow(emb[row * c + i] - mean, 2) / c;
      }
      for (int i = 0; i < c; i++) {
        final double expected = (emb[row * c + i] - mean) / Math.sqrt(var + 1e-5) * w[i] + b[i];
        assertThat((double) weights.emb()[row * c + i]).isCloseTo(expected, Offset.offset(1e-5));
      }
    }
  }

  @Test
  void shouldHoldMatricesInTheRequestedPrecision() {
    final FinchWeights fp32 = FinchModel.load(CHECKPOINT, LoadOptions.defaults()).weights();
    final FinchWeights bf16 =
        FinchModel.load(CHECKPOINT, LoadOptions.defaults().withPrecision(WeightPrecision.BF16))
            .weights();
    assertThat(fp32.head().precision()).isEqualTo(WeightPrecision.FP32);
    assertThat(bf16.head().precision()).isEqualTo(WeightPrecision.BF16);
    assertThat(bf16.blocks().get(1).att().time_maa_w1().precision())
        .isEqualTo(WeightPrecision.BF16);
    assertThat(bf16.bytes()).isLessThan(fp32.bytes() * 6 / 10);
    // LoRA matrices are held output-major: time_maa_w1 .pth [C, 5·D] → [5·D, C]
    assertThat(fp32.blocks().get(0).att().time_maa_w1().rows()).isEqualTo(5 * CONFIG.mixRank());
    final float[] w1 = CHECKPOINT.tensor("blocks.0.att.time_maa_w1").toFloats();
    assertThat(fp32.blocks().get(0).att().time_maa_w1().get(3, 7))
        .isEqualTo(w1[7 * 5 * CONFIG.mixRank() + 3]);
    assertThat(fp32.parameters())
        .isEqualTo(CHECKPOINT.names().stream().mapToLong(n -> CHECKPOINT.tensor(n).numel()).sum());
  }

  @Test
  void shouldFingerprintTheWeightsStably() {
    final String id = FinchModel.load(CHECKPOINT, LoadOptions.defaults()).info().id();
    assertThat(id).hasSize(64).matches("[0-9a-f]+");
    assertThat(
            FinchModel.load(RandomFinch.checkpoint(CONFIG, 41), LoadOptions.defaults()).info().id())
        .isEqualTo(id);
    assertThat(
            FinchModel.load(RandomFinch.checkpoint(CONFIG, 42), LoadOptions.defaults()).info().id())
        .isNotEqualTo(id);
    final float[] head = CHECKPOINT.tensor("head.weight").toFloats();
    head[0] += 1;
    assertThat(
            FinchModel.load(
                    RandomFinch.edited(
                        CHECKPOINT, "edited", null, "head.weight", new long[] {97, 64}, head),
                    LoadOptions.defaults())
                .info()
                .id())
        .isNotEqualTo(id);
  }
}
