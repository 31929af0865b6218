package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Smoke test of {@code bench decode}: output format only (no timing is asserted). */
class BenchDecodeCommandTest {

  @TempDir Path dir;

  @Test
  void shouldEndWithOneJsonObjectOfTheSteadyStateSpeed() throws Exception {
    final Path model = dir.resolve("f.safetensors");
    assertThat(
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
                    "60",
                    "--out",
                    model.toString())
                .exit())
        .isZero();
    final CliRun run =
        CliRun.of(
            "bench",
            "decode",
            "--model",
            model.toString(),
            "--precision",
            "int8",
            "--batch",
            "3",
            "--tokens",
            "4",
            "--rounds",
            "3",
            "--threads",
            "1",
            "--json");
    assertThat(run.exit()).as(run.err()).isZero();
    final JsonNode json = new ObjectMapper().readTree(run.lastLine());
    assertThat(json.get("model").asText()).isEqualTo("f.safetensors");
    assertThat(json.get("precision").asText()).isEqualTo("int8");
    assertThat(json.get("batch").asInt()).isEqualTo(3);
    assertThat(json.get("ms_per_token").asDouble()).isPositive();
    assertThat(json.get("tokens_per_second").asDouble()).isPositive();
    assertThat(json.size()).isEqualTo(5);
    assertThat(run.out()).contains("ms/token").contains("int8 weights");
    assertThat(run.err()).contains("warm-up round 1");
  }

  @Test
  void shouldRefuseABatchBelowOne() {
    final CliRun run = CliRun.of("bench", "decode", "--model", "x.pth", "--batch", "0");
    assertThat(run.exit()).isNotZero();
    assertThat(run.err()).contains("--batch, --tokens and --rounds must be >= 1");
  }
}
