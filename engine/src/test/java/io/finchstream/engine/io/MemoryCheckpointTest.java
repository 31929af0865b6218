package io.finchstream.engine.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.io.ggml.GgmlCheckpoint;
import io.finchstream.engine.testing.SharedData;
import org.junit.jupiter.api.Test;

class MemoryCheckpointTest {

  @Test
  void shouldServeTensorsInInsertionOrderWithShapesAndValues() {
    final MemoryCheckpoint ckpt =
        MemoryCheckpoint.builder("t")
            .put("emb.weight", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6})
            .put("blocks.0.att.time_maa_x", new long[] {1, 1, 3}, new float[] {7, 8, 9})
            .build();
    assertThat(ckpt.path().toString()).isEqualTo("memory:t");
    assertThat(ckpt.format()).isEqualTo("memory");
    assertThat(ckpt.names()).containsExactly("emb.weight", "blocks.0.att.time_maa_x");
    final CheckpointTensor emb = ckpt.tensor("emb.weight");
    assertThat(emb.shape()).containsExactly(2, 3);
    assertThat(emb.storedType()).isEqualTo(DType.F32);
    final float[] row = new float[3];
    emb.readFloats(3, row, 0, 3);
    assertThat(row).containsExactly(4, 5, 6);
    assertThat(ckpt.tensor("blocks.0.att.time_maa_x").toFloats()).containsExactly(7, 8, 9);
  }

  @Test
  void shouldRejectWrongCountsDuplicatesAndMissingNames() {
    final MemoryCheckpoint.Builder b = MemoryCheckpoint.builder("bad");
    assertThatThrownBy(() -> b.put("x", new long[] {2, 2}, new float[3]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("x: shape [2, 2] needs 4 values, got 3");
    b.put("x", new long[] {1}, new float[1]);
    assertThatThrownBy(() -> b.put("x", new long[] {1}, new float[1]))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("tensor x appears twice");
    final MemoryCheckpoint ckpt = b.build();
    assertThatThrownBy(() -> ckpt.tensor("y"))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("memory:bad")
        .hasMessageContaining("has no tensor y");
  }

  @Test
  void shouldCopyAnotherCheckpoint() {
    try (GgmlCheckpoint file =
        GgmlCheckpoint.open(SharedData.require("tiny-rwkv-6v0-1m-FP32.bin"))) {
      final MemoryCheckpoint copy = MemoryCheckpoint.copyOf(file);
      assertThat(copy.names()).containsExactlyElementsOf(file.names());
      for (final String name : file.names()) {
        assertThat(copy.tensor(name).shape()).isEqualTo(file.tensor(name).shape());
        assertThat(copy.tensor(name).toFloats()).isEqualTo(file.tensor(name).toFloats());
      }
    }
  }
}
