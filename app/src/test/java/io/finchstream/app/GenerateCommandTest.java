package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.Models;
import io.finchstream.engine.testing.SharedData;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateCommandTest {

  private static final String TINY = "tiny-rwkv-6v0-1m-FP32.bin";

  /** Greedy decoding written out by hand against the engine: argmax, stop at end of text. */
  private static String greedyByHand(final Path model, final String prompt, final int maxTokens) {
    final LanguageModel engine = Models.load(model, LoadOptions.defaults());
    final ModelState state = engine.newState();
    final byte[] promptBytes = prompt.getBytes(StandardCharsets.UTF_8);
    final int[] ids = new int[promptBytes.length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = promptBytes[i] & 0xff;
    }
    engine.ingest(List.of(state), List.of(ids));
    final float[][] logits = new float[1][256];
    engine.logits(List.of(state), logits);
    final StringBuilder out = new StringBuilder();
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int n = 0; n < maxTokens; n++) {
      int best = 0;
      for (int v = 1; v < 256; v++) {
        if (logits[0][v] > logits[0][best]) {
          best = v;
        }
      }
      if (best == 0) {
        break;
      }
      bytes.write(best);
      engine.step(List.of(state), new int[] {best}, logits);
    }
    out.append(bytes.toString(StandardCharsets.UTF_8));
    return out.toString();
  }

  @Test
  void shouldStreamTheGreedyContinuationTheEngineComputes() {
    final Path model = SharedData.require(TINY);
    // The tiny model often predicts end of text at once; a longer prompt gives some text first.
    final String prompt = "The king said";
    final CliRun run =
        CliRun.of(
            "generate",
            "--model",
            model.toString(),
            "--prompt",
            prompt,
            "--temperature",
            "0",
            "--max-tokens",
            "12");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo(greedyByHand(model, prompt, 12) + System.lineSeparator());
    assertThat(run.err()).contains("prompt tokens").contains("finish:");
  }

  @Test
  void shouldGiveTheSameTextForTheSameSeed() {
    final Path model = SharedData.require(TINY);
    final String[] args = {
      "generate",
      "--model",
      model.toString(),
      "--prompt",
      "Once upon",
      "--temperature",
      "1.3",
      "--top-k",
      "20",
      "--seed",
      "42",
      "--max-tokens",
      "16"
    };
    final CliRun first = CliRun.of(args);
    final CliRun second = CliRun.of(args);
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(second.out()).isEqualTo(first.out());
  }

  @Test
  void shouldRejectInvalidSamplingParametersWithTheirName() {
    final Path model = SharedData.require(TINY);
    final CliRun run =
        CliRun.of("generate", "--model", model.toString(), "--prompt", "x", "--top-p", "1.5");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("top_p");
  }

  @Test
  void shouldAskForTheVocabOfWorldModels(@TempDir final Path dir) {
    final Path model = dir.resolve("world.safetensors");
    final CliRun made =
        CliRun.of(
            "model",
            "random",
            "--layers",
            "1",
            "--dim",
            "32",
            "--head-size",
            "8",
            "--vocab",
            "65536",
            "--seed",
            "1",
            "--out",
            model.toString());
    assertThat(made.exit()).as(made.err()).isZero();
    final CliRun run = CliRun.of("generate", "--model", model.toString(), "--prompt", "hi");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("--vocab");
  }
}
