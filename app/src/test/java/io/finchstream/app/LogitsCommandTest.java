package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.Models;
import io.finchstream.engine.testing.SharedData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogitsCommandTest {

  @TempDir Path dir;
  private Path model;

  @BeforeEach
  void writeModel() {
    model = dir.resolve("m.safetensors");
    final CliRun run =
        CliRun.of(
            "model",
            "random",
            "--layers",
            "2",
            "--dim",
            "32",
            "--head-size",
            "8",
            "--vocab",
            "40",
            "--seed",
            "3",
            "--out",
            model.toString());
    assertThat(run.exit()).as(run.err()).isZero();
  }

  private static float[] read(final Path file) throws IOException {
    final ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    final float[] out = new float[buf.remaining() / 4];
    buf.asFloatBuffer().get(out);
    return out;
  }

  @Test
  void shouldWriteTheLogitsOfEveryPositionAsTheEngineComputesThem() throws IOException {
    final Path out = dir.resolve("all.f32");
    final CliRun run =
        CliRun.of(
            "logits", "--model", model.toString(), "--tokens", "1,2,39,0", "--out", out.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    final float[] written = read(out);
    assertThat(written).hasSize(4 * 40);
    final LanguageModel engine = Models.load(model, LoadOptions.defaults());
    final ModelState state = engine.newState();
    final float[][] row = new float[1][40];
    final int[] tokens = {1, 2, 39, 0};
    for (int t = 0; t < tokens.length; t++) {
      engine.step(List.of(state), new int[] {tokens[t]}, row);
      assertThat(Arrays.copyOfRange(written, t * 40, (t + 1) * 40))
          .as("position %d", t)
          .containsExactly(row[0]);
    }
    final Path last = dir.resolve("last.f32");
    final CliRun lastRun =
        CliRun.of(
            "logits",
            "--model",
            model.toString(),
            "--tokens",
            "1,2,39,0",
            "--out",
            last.toString(),
            "--last-only",
            "--kernels",
            "vector",
            "--threads",
            "2");
    assertThat(lastRun.exit()).as(lastRun.err()).isZero();
    assertThat(read(last)).containsExactly(Arrays.copyOfRange(written, 3 * 40, 4 * 40));
  }

  @Test
  void shouldReproduceTheTinyModelsExpectedLogits() throws IOException {
    final Path tiny = SharedData.require("tiny-rwkv-6v0-1m-FP32.bin");
    final float[] expected =
        SharedData.readFloats(SharedData.require("expected-logits-6v0-1m.bin"));
    final Path out = dir.resolve("tiny.f32");
    final CliRun run =
        CliRun.of(
            "logits",
            "--model",
            tiny.toString(),
            "--tokens",
            "34,105,110",
            "--out",
            out.toString(),
            "--last-only");
    assertThat(run.exit()).as(run.err()).isZero();
    final float[] actual = read(out);
    assertThat(actual).hasSize(256);
    for (int i = 0; i < 256; i++) {
      assertThat((double) actual[i]).isCloseTo(expected[i], Offset.offset(1e-4));
    }
  }

  @Test
  void shouldFailWithOneLineForBadTokensAndMissingFiles() {
    final Path out = dir.resolve("x.f32");
    final CliRun bad =
        CliRun.of(
            "logits", "--model", model.toString(), "--tokens", "1,40", "--out", out.toString());
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.err().strip()).doesNotContain("\n").contains("40").contains("out of range");
    assertThat(Files.exists(out)).isFalse();
    final CliRun missing =
        CliRun.of(
            "logits",
            "--model",
            dir.resolve("nope.bin").toString(),
            "--tokens",
            "1",
            "--out",
            out.toString());
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err().strip()).doesNotContain("\n").contains("nope.bin");
    final CliRun notNumbers =
        CliRun.of(
            "logits", "--model", model.toString(), "--tokens", "a,b", "--out", out.toString());
    assertThat(notNumbers.exit()).isEqualTo(2);
  }
}
