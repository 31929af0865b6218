package io.finchstream.engine.io.safetensors;

import static io.finchstream.engine.io.safetensors.RawSafetensors.concat;
import static io.finchstream.engine.io.safetensors.RawSafetensors.f32;
import static io.finchstream.engine.io.safetensors.RawSafetensors.u16;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.Checkpoints;
import io.finchstream.engine.io.DType;
import io.finchstream.engine.io.LoadProgress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SafetensorsCheckpointTest {

  @TempDir Path tmp;

  @Test
  void shouldReadF32F16AndBf16WithShapesAndMetadata() throws IOException {
    // F16 0x3c00 = 1, 0xc000 = -2, 0x3555 = 0.33325195; BF16 0x3f80 = 1, 0xc040 = -3, 0x3eaa =
    // 0.33203125
    final String header =
        "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"x\"},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
            + "\"b\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[16,22]},"
            + "\"c\":{\"dtype\":\"BF16\",\"shape\":[1,1,3],\"data_offsets\":[22,28]},"
            + "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[28,32]}}";
    final Path file =
        RawSafetensors.write(
            tmp.resolve("x.bin"),
            header,
            concat(
                f32(1.5f, -2f, 0.25f, 8f),
                u16(0x3c00, 0xc000, 0x3555),
                u16(0x3f80, 0xc040, 0x3eaa),
                f32(42f)));
    try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(file)) {
      assertThat(ckpt.format()).isEqualTo("safetensors");
      assertThat(ckpt.names()).containsExactly("a", "b", "c", "s");
      assertThat(ckpt.metadata())
          .containsExactly(Map.entry("format", "pt"), Map.entry("note", "x"));
      assertThat(ckpt.hfNames()).isFalse();
      assertThat(ckpt.tensor("a").shape()).containsExactly(2, 2);
      assertThat(ckpt.tensor("a").toFloats()).containsExactly(1.5f, -2f, 0.25f, 8f);
      assertThat(ckpt.tensor("b").storedType()).isEqualTo(DType.F16);
      assertThat(ckpt.tensor("b").toFloats()).containsExactly(1f, -2f, 0.33325195f);
      assertThat(ckpt.tensor("c").storedType()).isEqualTo(DType.BF16);
      assertThat(ckpt.tensor("c").shape()).containsExactly(1, 1, 3);
      assertThat(ckpt.tensor("c").toFloats()).containsExactly(1f, -3f, 0.33203125f);
      assertThat(ckpt.tensor("s").shape()).isEmpty();
      assertThat(ckpt.tensor("s").toFloats()).containsExactly(42f);
    }
  }

  @Test
  void shouldMapHuggingFaceNamesToCanonicalOnes() throws IOException {
    final String[] hf = {
      "rwkv.embeddings.weight",
      "rwkv.blocks.0.pre_ln.weight",
      "rwkv.blocks.0.ln1.bias",
      "rwkv.blocks.0.attention.time_maa_w1",
      "rwkv.blocks.11.attention.ln_x.weight",
      "rwkv.blocks.3.feed_forward.key.weight",
      "rwkv.ln_out.weight",
      "head.weight"
    };
    final StringBuilder header = new StringBuilder("{");
    for (int i = 0; i < hf.length; i++) {
      header
          .append(i == 0 ? "" : ",")
          .append('"')
          .append(hf[i])
          .append("\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[")
          .append(4 * i)
          .append(',')
          .append(4 * i + 4)
          .append("]}");
    }
    final float[] values = new float[hf.length];
    for (int i = 0; i < values.length; i++) {
      values[i] = i;
    }
    final Path file = RawSafetensors.write(tmp.resolve("hf"), header + "}", f32(values));
    try (Checkpoint ckpt = Checkpoints.open(file, LoadProgress.NONE)) {
      assertThat(ckpt).isInstanceOf(SafetensorsCheckpoint.class);
      assertThat(ckpt.names())
          .containsExactly(
              "emb.weight",
              "blocks.0.ln0.weight",
              "blocks.0.ln1.bias",
              "blocks.0.att.time_maa_w1",
              "blocks.11.att.ln_x.weight",
              "blocks.3.ffn.key.weight",
              "ln_out.weight",
              "head.weight");
      assertThat(ckpt.tensor("blocks.3.ffn.key.weight").toFloats()).containsExactly(5f);
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "overlap | {\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}} | 12"
            + " | overlaps the previous tensor",
        "gap | {\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}} | 12 | leaves a gap",
        "beyond | {\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}} | 8"
            + " | file is truncated",
        "trailing | {\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} | 8"
            + " | are not described by the header",
        "size | {\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}} | 8 | needs 12 bytes",
        "dtype | {\"a\":{\"dtype\":\"I8\",\"shape\":[8],\"data_offsets\":[0,8]}} | 8"
            + " | store it as F32, F16 or BF16",
        "json | {\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]} | 4"
            + " | header is not valid JSON",
        "duplicate | {\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}} | 8"
            + " | header is not valid JSON",
        "fields | {\"a\":{\"dtype\":\"F32\",\"shape\":[1]}} | 4 | needs \"dtype\"",
        "shape | {\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}} | 4"
            + " | has a bad shape",
        "metadata | {\"__metadata__\":{\"k\":1},\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
            + "\"data_offsets\":[0,4]}} | 4 | is not a string",
        "array | [1,2] | 0 | header is not a JSON object"
      })
  void shouldRejectMalformedFilesNamingTheProblem(
      final String label, final String header, final int dataBytes, final String problem)
      throws IOException {
    final Path file = RawSafetensors.write(tmp.resolve(label + ".st"), header, new byte[dataBytes]);
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(file))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining(problem);
  }

  @Test
  void shouldRejectTruncatedHeaders() throws IOException {
    final Path good =
        RawSafetensors.write(
            tmp.resolve("good"),
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
            f32(1f));
    final byte[] all = Files.readAllBytes(good);
    for (final int cut : new int[] {5, 20, all.length - 1}) {
      final Path file = Files.write(tmp.resolve("cut" + cut), Arrays.copyOf(all, cut));
      assertThatThrownBy(() -> SafetensorsCheckpoint.open(file))
          .as("cut at %d", cut)
          .isInstanceOf(CheckpointException.class)
          .hasMessageContaining(file.toString())
          .hasMessageContaining("truncated");
    }
  }
}
