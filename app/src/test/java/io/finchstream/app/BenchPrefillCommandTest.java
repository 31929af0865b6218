package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Smoke test of {@code bench prefill}: output format only (no timing is asserted). */
class BenchPrefillCommandTest {

  @TempDir Path dir;

  @Test
  void shouldPrintOneJsonLinePerContextInAscendingOrder() throws Exception {
    final Path model = dir.resolve("gf.safetensors");
    assertThat(
            CliRun.of(
                    "model",
                    "random",
                    "--arch",
                    "goldfinch",
                    "--layers",
                    "3",
                    "--dim",
                    "32",
                    "--head-size",
                    "16",
                    "--vocab",
                    "40",
                    "--out",
                    model.toString())
                .exit())
        .isZero();
    final CliRun run =
        CliRun.of(
            "bench",
            "prefill",
            "--model",
            model.toString(),
            "--context",
            "30,10",
            "--ingest-tokens",
            "4",
            "--generate-tokens",
            "2",
            "--repeats",
            "1",
            "--threads",
            "1",
            "--json");
    assertThat(run.exit()).as(run.err()).isZero();
    final List<JsonNode> lines = new ArrayList<>();
    for (final String line : run.out().strip().lines().toList()) {
      lines.add(new ObjectMapper().readTree(line));
    }
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0).get("context").asLong()).isEqualTo(10);
    assertThat(lines.get(1).get("context").asLong()).isEqualTo(30);
    for (final JsonNode line : lines) {
      assertThat(line.get("ingest_us_per_token").asDouble()).isPositive();
      assertThat(line.get("generate_us_per_token").asDouble()).isPositive();
      assertThat(line.size()).isEqualTo(3);
    }
    assertThat(run.err()).contains("filling the context to 30 tokens");
  }

  @Test
  void shouldPrintATableAndTheGrowthWithoutJson() {
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
                    "40",
                    "--out",
                    model.toString())
                .exit())
        .isZero();
    final CliRun run =
        CliRun.of(
            "bench",
            "prefill",
            "--model",
            model.toString(),
            "--context",
            "5,15",
            "--ingest-tokens",
            "2",
            "--generate-tokens",
            "2",
            "--repeats",
            "1");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("ingest µs/token")
        .contains("from 5 to 15 tokens of context: ingest x");
  }

  @Test
  void shouldRejectNonPositiveContexts() {
    final CliRun run =
        CliRun.of("bench", "prefill", "--model", dir.resolve("none").toString(), "--context", "0");
    assertThat(run.exit()).isNotZero();
    assertThat(run.err()).contains("--context values must be >= 1");
  }
}
