package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.testing.GoldFinchFixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.StringJoiner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI on GoldFinch checkpoints: logits (both paths, c_t), inspect, model random --arch
 * goldfinch.
 */
class GoldFinchCliTest {

  @TempDir Path dir;

  private static float[] read(final Path file) throws IOException {
    final ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    final float[] out = new float[buf.remaining() / 4];
    buf.asFloatBuffer().get(out);
    return out;
  }

  private static String tokenList(final int[] tokens) {
    final StringJoiner j = new StringJoiner(",");
    for (final int t : tokens) {
      j.add(Integer.toString(t));
    }
    return j.toString();
  }

  @Test
  void shouldWriteLogitsAndCompressedKeysMatchingTheFloat64Reference() throws IOException {
    final Path model = GoldFinchFixtures.checkpoint(GoldFinchFixtures.BF16);
    final int[] tokens = GoldFinchFixtures.tokens();
    final Path logits = dir.resolve("all.f32");
    final Path keys = dir.resolve("c.f32");
    final CliRun run =
        CliRun.of(
            "logits",
            "--model",
            model.toString(),
            "--tokens",
            tokenList(tokens),
            "--out",
            logits.toString(),
            "--cache-out",
            keys.toString(),
            "--cache-precision",
            "fp32"); // the reference's 1e-4 holds for float32 keys and values
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).contains("compressed keys");
    final float[][] expected = GoldFinchFixtures.logits(GoldFinchFixtures.BF16);
    final float[][] expectedC = GoldFinchFixtures.compressedKeys(GoldFinchFixtures.BF16);
    final int vocab = expected[0].length;
    final int r = expectedC[0].length;
    final float[] written = read(logits);
    final float[] writtenC = read(keys);
    assertThat(written).hasSize(tokens.length * vocab);
    assertThat(writtenC).hasSize(tokens.length * r);
    double worst = 0;
    double worstC = 0;
    for (int t = 0; t < tokens.length; t++) {
      for (int i = 0; i < vocab; i++) {
        worst = Math.max(worst, Math.abs(written[t * vocab + i] - expected[t][i]));
      }
      for (int i = 0; i < r; i++) {
        worstC = Math.max(worstC, Math.abs(writtenC[t * r + i] - expectedC[t][i]));
      }
    }
    assertThat(worst).isLessThanOrEqualTo(GoldFinchFixtures.tolerance());
    assertThat(worstC).isLessThanOrEqualTo(GoldFinchFixtures.tolerance());

    // --last-only is streaming prefill (path b): the same bits as the last row of path (a)
    final Path last = dir.resolve("last.f32");
    final Path lastKeys = dir.resolve("last-c.f32");
    final CliRun lastRun =
        CliRun.of(
            "logits",
            "--model",
            model.toString(),
            "--tokens",
            tokenList(tokens),
            "--out",
            last.toString(),
            "--last-only",
            "--cache-out",
            lastKeys.toString(),
            "--cache-precision",
            "fp32");
    assertThat(lastRun.exit()).as(lastRun.err()).isZero();
    assertThat(read(last))
        .containsExactly(
            Arrays.copyOfRange(written, (tokens.length - 1) * vocab, tokens.length * vocab));
    assertThat(read(lastKeys)).containsExactly(writtenC);
  }

  @Test
  void shouldMakeInspectAndRunARandomGoldFinchModel() throws IOException {
    final Path model = dir.resolve("gf.safetensors");
    final CliRun made =
        CliRun.of(
            "model",
            "random",
            "--arch",
            "goldfinch",
            "--layers",
            "6",
            "--dim",
            "64",
            "--head-size",
            "32",
            "--vocab",
            "90",
            "--dtype",
            "f32",
            "--out",
            model.toString());
    assertThat(made.exit()).as(made.err()).isZero();
    assertThat(made.out()).contains("goldfinch").contains("4 Finch-C2 + 2 GOLD");
    final CliRun inspect = CliRun.of("inspect", "--model", model.toString());
    assertThat(inspect.exit()).as(inspect.err()).isZero();
    assertThat(inspect.out())
        .containsPattern("architecture:\\s+goldfinch")
        .containsPattern("layer split:\\s+4 Finch-C2 \\+ 2 GOLD")
        .containsPattern("compressed key width \\(R\\):\\s+4")
        // int32 id + 4 fp32 = 20 B; fp32 KV of a full transformer: 2·6·64·4 = 3072 B → 153.6x
        .containsPattern("cache per token:\\s+20 bytes")
        .contains("153.6x as stored")
        .contains("(bf16 c_t + 2×16-bit token index = 12 B vs 1536 B bf16)");
    final Path out = dir.resolve("l.f32");
    final CliRun logits =
        CliRun.of(
            "logits",
            "--model",
            model.toString(),
            "--tokens",
            "1,2,3,89,0,5,6,7,8,9",
            "--out",
            out.toString(),
            "--last-only");
    assertThat(logits.exit()).as(logits.err()).isZero();
    assertThat(read(out)).hasSize(90);
  }

  @Test
  void shouldGenerateWithAGoldFinchModelReproducibly() {
    final Path model = dir.resolve("bytes.safetensors");
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
                    "256",
                    "--out",
                    model.toString())
                .exit())
        .isZero();
    final String[] args = {
      "generate",
      "--model",
      model.toString(),
      "--prompt",
      "Hello, GoldFinch",
      "--max-tokens",
      "12",
      "--seed",
      "7",
      "--temperature",
      "0.8"
    };
    final CliRun first = CliRun.of(args);
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.err()).contains("16 prompt tokens").contains("12 generated");
    assertThat(CliRun.of(args).out()).isEqualTo(first.out());
  }

  @Test
  void shouldRefuseCacheOutForFinch() {
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
            "logits",
            "--model",
            model.toString(),
            "--tokens",
            "1,2",
            "--out",
            dir.resolve("x").toString(),
            "--cache-out",
            dir.resolve("c").toString());
    assertThat(run.exit()).isNotZero();
    assertThat(run.err()).contains("--cache-out needs a GoldFinch model");
  }
}
