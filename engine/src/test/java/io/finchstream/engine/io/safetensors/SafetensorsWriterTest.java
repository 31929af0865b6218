package io.finchstream.engine.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finchstream.engine.io.CheckpointException;
import io.finchstream.engine.io.DType;
import io.finchstream.engine.io.MemoryCheckpoint;
import io.finchstream.engine.io.ggml.GgmlCheckpoint;
import io.finchstream.engine.testing.SharedData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {

  @TempDir Path tmp;

  @Test
  void shouldRoundTripFloat32ExactlyWithMetadata() {
    final Path file = tmp.resolve("m.safetensors");
    try (GgmlCheckpoint src =
        GgmlCheckpoint.open(SharedData.require("tiny-rwkv-6v0-1m-FP32.bin"))) {
      SafetensorsWriter.write(file, src, DType.F32, Map.of("arch", "finch"));
      try (SafetensorsCheckpoint back = SafetensorsCheckpoint.open(file)) {
        assertThat(back.names()).containsExactlyElementsOf(src.names());
        assertThat(back.metadata()).containsExactly(Map.entry("arch", "finch"));
        for (final String name : src.names()) {
          assertThat(back.tensor(name).shape()).as(name).isEqualTo(src.tensor(name).shape());
          assertThat(back.tensor(name).storedType()).isEqualTo(DType.F32);
          assertThat(back.tensor(name).toFloats()).as(name).isEqualTo(src.tensor(name).toFloats());
        }
      }
    }
  }

  @Test
  @SuppressWarnings("FloatingPointLiteralPrecision") // exact binary values: the ties are the point
  void shouldRoundToNearestEvenBf16AndPadTheHeader() throws IOException {
    // 1 + 2^-8 is a tie -> 1 (even); 1 + 3·2^-8 is a tie -> 1 + 2^-6 (even); 1 + 2^-8 + 2^-20 -> up
    final float[] in = {1f, 1.00390625f, 1.01171875f, 1.0039072f, -2.5f, 65280f};
    final float[] want = {1f, 1f, 1.015625f, 1.0078125f, -2.5f, 65280f};
    final MemoryCheckpoint src =
        MemoryCheckpoint.builder("r").put("head.weight", new long[] {2, 3}, in).build();
    final Path file = tmp.resolve("b.safetensors");
    SafetensorsWriter.write(file, src, DType.BF16, Map.of());
    final byte[] raw = Files.readAllBytes(file);
    final long headerLen = ByteBuffer.wrap(raw, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertThat(headerLen % 8).isZero();
    assertThat(new String(raw, 8, (int) headerLen, StandardCharsets.UTF_8))
        .startsWith(
            "{\"head.weight\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,12]}}");
    assertThat(raw.length).isEqualTo(8 + headerLen + 12);
    try (SafetensorsCheckpoint back = SafetensorsCheckpoint.open(file)) {
      assertThat(back.tensor("head.weight").storedType()).isEqualTo(DType.BF16);
      assertThat(back.tensor("head.weight").toFloats()).containsExactly(want);
    }
    assertThat(Float.isNaN(Float.intBitsToFloat(SafetensorsWriter.toBf16(Float.NaN) << 16)))
        .isTrue();
  }

  @Test
  void shouldFailNamingTheFileWhenTheDirectoryIsMissing() {
    final MemoryCheckpoint src =
        MemoryCheckpoint.builder("r").put("x", new long[] {1}, new float[] {1}).build();
    final Path file = tmp.resolve("no/such/dir/m.safetensors");
    assertThatThrownBy(() -> SafetensorsWriter.write(file, src, DType.F32, Map.of()))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("cannot be written");
  }
}
