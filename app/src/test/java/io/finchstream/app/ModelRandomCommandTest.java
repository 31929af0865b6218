package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.Models;
import io.finchstream.engine.finch.FinchConfig;
import io.finchstream.engine.finch.FinchModel;
import io.finchstream.engine.finch.FinchRandom;
import io.finchstream.engine.io.Checkpoint;
import io.finchstream.engine.io.Checkpoints;
import io.finchstream.engine.io.DType;
import io.finchstream.engine.io.LoadProgress;
import io.finchstream.engine.tensor.Bf16;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRandomCommandTest {

  @TempDir Path dir;

  @Test
  void shouldWriteTheSeededRandomModelAsSafetensors() {
    final Path file = dir.resolve("r.safetensors");
    final CliRun run =
        CliRun.of(
            "model",
            "random",
            "--arch",
            "finch",
            "--layers",
            "2",
            "--dim",
            "64",
            "--vocab",
            "300",
            "--head-size",
            "16",
            "--seed",
            "5",
            "--dtype",
            "f32",
            "--out",
            file.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).contains("L=2 C=64 H=4 N=16");
    final FinchConfig config = FinchConfig.standard(2, 64, 16, 300);
    final Checkpoint expected = FinchRandom.checkpoint(config, 5);
    try (Checkpoint written = Checkpoints.open(file, LoadProgress.NONE)) {
      assertThat(written.names()).containsExactlyElementsOf(expected.names());
      for (final String name : expected.names()) {
        assertThat(written.tensor(name).shape())
            .as(name)
            .containsExactly(expected.tensor(name).shape());
        assertThat(written.tensor(name).storedType()).isEqualTo(DType.F32);
        assertThat(written.tensor(name).toFloats())
            .as(name)
            .isEqualTo(expected.tensor(name).toFloats());
      }
    }
    final FinchModel model = (FinchModel) Models.load(file, LoadOptions.defaults());
    assertThat(model.weights().config()).isEqualTo(config);
  }

  @Test
  void shouldRoundToBf16ByDefaultAndBeReproducible() throws IOException {
    final Path a = dir.resolve("a.safetensors");
    final Path b = dir.resolve("b.safetensors");
    for (final Path file : new Path[] {a, b}) {
      final CliRun run =
          CliRun.of(
              "model",
              "random",
              "--layers",
              "1",
              "--dim",
              "128",
              "--vocab",
              "50",
              "--out",
              file.toString());
      assertThat(run.exit()).as(run.err()).isZero();
    }
    assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
    final float[] expected =
        FinchRandom.checkpoint(FinchConfig.standard(1, 128, 64, 50), 1)
            .tensor("blocks.0.att.key.weight")
            .toFloats();
    try (Checkpoint written = Checkpoints.open(a, LoadProgress.NONE)) {
      assertThat(written.tensor("blocks.0.att.key.weight").storedType()).isEqualTo(DType.BF16);
      final float[] values = written.tensor("blocks.0.att.key.weight").toFloats();
      for (int i = 0; i < values.length; i++) {
        assertThat(values[i]).isEqualTo(Bf16.toFloat(Bf16.fromFloat(expected[i])));
      }
    }
  }

  @Test
  void shouldRejectBadSizesAndArchitecturesWithAUsageError() {
    final String out = dir.resolve("x.safetensors").toString();
    final CliRun badDim =
        CliRun.of(
            "model", "random", "--layers", "1", "--dim", "100", "--vocab", "50", "--out", out);
    assertThat(badDim.exit()).isEqualTo(2);
    assertThat(badDim.err()).contains("multiple of --head-size");
    final CliRun badArch =
        CliRun.of(
            "model",
            "random",
            "--arch",
            "lstm",
            "--layers",
            "1",
            "--dim",
            "64",
            "--vocab",
            "5",
            "--out",
            out);
    assertThat(badArch.exit()).isEqualTo(2);
    assertThat(badArch.err()).contains("lstm");
    assertThat(Files.exists(Path.of(out))).isFalse();
  }
}
