package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {

  @TempDir Path dir;

  @Test
  void shouldDescribeArchitectureShapesParametersDtypesAndStateBytes() {
    final Path model = dir.resolve("m.safetensors");
    assertThat(
            CliRun.of(
                    "model",
                    "random",
                    "--layers",
                    "3",
                    "--dim",
                    "64",
                    "--head-size",
                    "16",
                    "--vocab",
                    "70",
                    "--out",
                    model.toString())
                .exit())
        .isZero();
    final CliRun run =
        CliRun.of("inspect", "--model", model.toString(), "--precision", "bf16", "--tensors");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .containsPattern("architecture:\\s+finch")
        .containsPattern("layers \\(L\\):\\s+3")
        .containsPattern("dim \\(C\\):\\s+64")
        .containsPattern("heads \\(H\\):\\s+4")
        .containsPattern("vocab \\(V\\):\\s+70")
        .containsPattern("stored dtypes:\\s+BF16 x")
        .containsPattern("weights in memory:\\s+bf16")
        .contains("safetensors")
        .contains("state per conversation:")
        .contains("blocks.2.att.time_maa_w1")
        .contains("[64, 160]");
    // 3 blocks · 2·64 + 64·16 floats, plus header and last hidden vector
    assertThat(run.out())
        .contains(String.format("%,d bytes (fp32)", 64 + 4 * 64 + 3 * (8 * 64 + 4 * 64 * 16)));
  }

  @Test
  void shouldFailWithOneLineForAFileThatIsNoModel() throws Exception {
    final Path junk = dir.resolve("junk.bin");
    Files.write(junk, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    final CliRun run = CliRun.of("inspect", "--model", junk.toString());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err().strip()).doesNotContain("\n").contains("junk.bin");
  }
}
