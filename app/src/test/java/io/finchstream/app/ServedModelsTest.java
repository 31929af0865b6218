package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.io.DType;
import io.finchstream.engine.io.MemoryCheckpoint;
import io.finchstream.engine.io.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo model bundled in the jar, and how model files describe themselves. */
class ServedModelsTest {

  @TempDir Path dir;

  private Path safetensors(final String name, final Map<String, String> metadata) {
    final Path file = dir.resolve(name);
    SafetensorsWriter.write(
        file,
        MemoryCheckpoint.builder(name).put("w", new long[] {2}, new float[] {1, 2}).build(),
        DType.F32,
        metadata);
    return file;
  }

  @Test
  void shouldReadTheDescriptionFromSafetensorsMetadataOnly() throws IOException {
    assertThat(
            ServedModels.description(
                safetensors(
                    "a.safetensors",
                    Map.of(ServedModels.DESCRIPTION_KEY, "  a test model\nsecond line  "))))
        .isEqualTo("a test model");
    assertThat(ServedModels.description(safetensors("b.safetensors", Map.of()))).isEmpty();
    final String tooLong = "x".repeat(ServedModels.MAX_DESCRIPTION_CHARS + 50);
    assertThat(
            ServedModels.description(
                safetensors("c.safetensors", Map.of(ServedModels.DESCRIPTION_KEY, tooLong))))
        .hasSize(ServedModels.MAX_DESCRIPTION_CHARS)
        .endsWith("…");
    assertThat(ServedModels.description(Files.writeString(dir.resolve("d.bin"), "not a model")))
        .isEmpty();
    assertThat(ServedModels.description(dir.resolve("missing.safetensors"))).isEmpty();
  }

  @Test
  void shouldExtractTheBundledDemoModelOnceAndRepairAChangedCopy() throws IOException {
    final byte[] repository = Files.readAllBytes(DemoModels.require(ServedModels.DEMO_FILE));
    final Path file = dir.resolve("models").resolve(ServedModels.DEMO_FILE);
    final StringWriter err = new StringWriter();
    assertThat(ServedModels.extractDemo(file, new PrintWriter(err, true))).isEqualTo(file);
    assertThat(Files.readAllBytes(file)).isEqualTo(repository);
    assertThat(err.toString()).contains("writing the demo model");
    assertThat(ServedModels.description(file))
        .contains("trained on Shakespeare")
        .contains("not an assistant");

    final StringWriter again = new StringWriter();
    ServedModels.extractDemo(file, new PrintWriter(again, true));
    assertThat(again.toString()).as("already there: not written again").isEmpty();

    Files.write(file, new byte[] {1, 2, 3});
    ServedModels.extractDemo(file, new PrintWriter(again, true));
    assertThat(Files.readAllBytes(file)).isEqualTo(repository);

    final Path written = dir.resolve("demo.safetensors");
    final CliRun run = CliRun.of("model", "demo", "--out", written.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(Files.readAllBytes(written)).isEqualTo(repository);
    assertThat(run.out()).contains("trained on Shakespeare");
  }

  @Test
  void shouldDescribeRandomModelsAsNoise() {
    final Path file = dir.resolve("r.safetensors");
    final CliRun run =
        CliRun.of(
            "model",
            "random",
            "--layers",
            "1",
            "--dim",
            "16",
            "--head-size",
            "8",
            "--vocab",
            "16",
            "--out",
            file.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(ServedModels.description(file))
        .isEqualTo("a seeded random finch model: not a language model, its replies are noise");
  }
}
