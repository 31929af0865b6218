package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.LoadOptions;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.Models;
import io.finchstream.engine.io.DType;
import io.finchstream.engine.io.MemoryCheckpoint;
import io.finchstream.engine.io.safetensors.SafetensorsWriter;
import io.finchstream.engine.testing.SharedData;
import io.finchstream.engine.tokenizer.WorldTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code finchstream eval}: the shipped demo models reproduce the training script's own loss, the
 * trained rwkv.cpp tiny model reproduces the float64 reference's, the windows are what the help
 * says, and bad inputs end with one clear line and a non-zero exit.
 */
class EvalCommandTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The training script's evaluation and the engine agree this closely (issue 12). */
  private static final double EXACTNESS_NATS = 1e-3;

  @TempDir Path dir;

  private static JsonNode lastJson(final CliRun run) throws IOException {
    return JSON.readTree(run.lastLine());
  }

  @ParameterizedTest
  @ValueSource(strings = {"finch-shakespeare-L6-C256", "goldfinch-shakespeare-L6-C256"})
  void shouldReproduceTheTrainingScriptsLossOfTheShippedModel(final String name)
      throws IOException {
    final JsonNode record = JSON.readTree(DemoModels.require(name + ".json").toFile());
    final Path model = DemoModels.require(name + ".safetensors");
    final JsonNode exact = record.get("exactness");
    final byte[] corpus = Files.readAllBytes(SharedData.require(exact.get("text").asText()));
    final int offset = exact.get("offset").asInt();
    final byte[] slice = Arrays.copyOfRange(corpus, offset, offset + exact.get("bytes").asInt());
    assertThat(sha256(slice))
        .as("the held-out slice the script evaluated")
        .isEqualTo(exact.get("sha256").asText());
    final Path text = dir.resolve("held-out.txt");
    Files.write(text, slice);
    final double expected = exact.get("loss_nats_per_token").asDouble();
    for (final String precision : new String[] {"fp32", "bf16"}) {
      final CliRun run =
          CliRun.of(
              "eval",
              "--model",
              model.toString(),
              "--text-file",
              text.toString(),
              "--context",
              exact.get("context").asText(),
              "--precision",
              precision,
              "--json");
      assertThat(run.exit()).as(run.err()).isZero();
      final JsonNode result = lastJson(run);
      assertThat(result.get("tokens").asLong()).isEqualTo(exact.get("tokens").asLong());
      assertThat(result.get("loss_nats_per_token").asDouble())
          .as("%s (%s weights in memory) vs the training script's float64 loss", name, precision)
          .isCloseTo(expected, within(EXACTNESS_NATS));
    }
    assertThat(record.at("/held_out/loss_nats_per_token").asDouble())
        .as("a trained model: below the ln 256 = 5.55 nats of a uniform guess over 256 bytes")
        .isLessThan(Math.log(256));
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-rwkv-6v0-1m-FP32.bin", "tiny-rwkv-6v0-1m-FP16.bin"})
  void shouldReproduceTheReferenceLossOfTheTrainedTinyModel(final String file) throws IOException {
    final JsonNode reference;
    try (InputStream in = getClass().getResourceAsStream("/eval/tiny-rwkv-reference.json")) {
      reference = JSON.readTree(in);
    }
    final Path text = dir.resolve("text.txt");
    Files.writeString(text, reference.get("text").asText(), StandardCharsets.UTF_8);
    final CliRun run =
        CliRun.of(
            "eval",
            "--model",
            SharedData.require(file).toString(),
            "--text-file",
            text.toString(),
            "--json");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("finch model " + file + " (12 layers, dim 64)")
        .contains("one window over the whole text");
    final JsonNode result = lastJson(run);
    final JsonNode expected = reference.get("models").get(file);
    assertThat(result.get("tokens").asLong()).isEqualTo(expected.get("tokens").asLong());
    assertThat(result.get("loss_nats_per_token").asDouble())
        .as("engine (float32) vs tools/finch_ref.py (float64)")
        .isCloseTo(expected.get("loss_nats_per_token").asDouble(), within(1e-4));
  }

  @Test
  void shouldScoreEveryTokenButTheFirstOnceWhateverTheWindowsAndBatch() throws IOException {
    final Path model = randomModel("finch", 256, "w.safetensors");
    final String text =
        "To be, or not to be, that is the question: whether 'tis nobler in the mind";
    final int[] tokens = text.chars().toArray(); // byte-level: ASCII bytes are the tokens
    final LanguageModel engine = Models.load(model, LoadOptions.defaults());
    for (final int context : new int[] {0, 1, 7, 16, 73, 74, 500}) {
      final double expected = direct(engine, tokens, context);
      for (final int batch : new int[] {1, 3, 16}) {
        final CliRun run =
            CliRun.of(
                "eval",
                "--model",
                model.toString(),
                "--text",
                text,
                "--context",
                Integer.toString(context),
                "--batch",
                Integer.toString(batch),
                "--json");
        assertThat(run.exit()).as(run.err()).isZero();
        final JsonNode result = lastJson(run);
        assertThat(result.get("tokens").asLong()).isEqualTo(tokens.length - 1);
        assertThat(result.get("bytes").asLong()).isEqualTo(tokens.length - 1);
        assertThat(result.get("loss_nats_per_token").asDouble())
            .as("context %d, batch %d", context, batch)
            .isEqualTo(expected);
        assertThat(result.get("perplexity").asDouble())
            .isCloseTo(Math.exp(expected), within(1e-12 * Math.exp(expected)));
        assertThat(result.get("bits_per_byte").asDouble())
            .isCloseTo(expected / Math.log(2), within(1e-12));
      }
    }
  }

  /**
   * The loss computed straight through the engine API: windows of {@code context} predictions, each
   * from a new state, summed per window then over windows (as the command documents).
   */
  private static double direct(final LanguageModel engine, final int[] tokens, final int context) {
    final int step = context == 0 ? tokens.length - 1 : context;
    double nats = 0;
    for (int start = 0; start < tokens.length - 1; start += step) {
      final int end = Math.min(start + step + 1, tokens.length);
      final ModelState state = engine.newState();
      final float[][] logits = new float[1][engine.info().vocabSize()];
      double window = 0;
      for (int i = start; i < end - 1; i++) {
        engine.step(List.of(state), new int[] {tokens[i]}, logits);
        window += TextEvaluation.loss(logits[0], tokens[i + 1], i + 1);
      }
      nats += window;
    }
    return nats / (tokens.length - 1);
  }

  @Test
  void shouldCountTheBytesOfPredictedTokensForAWorldModel() throws IOException {
    final Path vocab = SharedData.require(WorldTokenizer.VOCAB_FILE_NAME);
    final Path model = randomModel("goldfinch", 65_536, "world.safetensors");
    final String text = "Hello world, wherefore art thou? Élan — 以下は";
    final CliRun run =
        CliRun.of(
            "eval",
            "--model",
            model.toString(),
            "--vocab",
            vocab.toString(),
            "--text",
            text,
            "--json");
    assertThat(run.exit()).as(run.err()).isZero();
    final int[] ids = WorldTokenizer.load(vocab).encode(text);
    final JsonNode result = lastJson(run);
    assertThat(result.get("tokens").asLong()).isEqualTo(ids.length - 1);
    final long firstTokenBytes = WorldTokenizer.load(vocab).tokenBytes(ids[0]).length;
    assertThat(result.get("bytes").asLong())
        .isEqualTo(text.getBytes(StandardCharsets.UTF_8).length - firstTokenBytes);
    assertThat(result.get("bits_per_byte").asDouble())
        .isCloseTo(
            result.get("loss_nats_per_token").asDouble()
                * result.get("tokens").asLong()
                / Math.log(2)
                / result.get("bytes").asLong(),
            within(1e-9));
  }

  @Test
  void shouldShowProgressOnLongTexts() throws IOException {
    final Path model = randomModel("finch", 256, "p.safetensors");
    final Path text = dir.resolve("long.txt");
    Files.writeString(text, "a".repeat((int) EvalCommand.PROGRESS_MIN_TOKENS + 1));
    final CliRun run =
        CliRun.of(
            "eval", "--model", model.toString(), "--text-file", text.toString(), "--context", "64");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.err())
        .contains("eval:   0% (0 / 20,000 tokens)")
        .contains("eval: 100% (20,000 / 20,000 tokens)");
    assertThat(run.err().lines().filter(l -> l.startsWith("eval:")).count()).isEqualTo(5);
    final CliRun small = CliRun.of("eval", "--model", model.toString(), "--text", "short text");
    assertThat(small.err()).doesNotContain("eval:");
  }

  @Test
  void shouldRefuseBadInputsWithOneClearLine() throws IOException {
    final Path model = randomModel("finch", 256, "b.safetensors");
    final Path vocab = SharedData.require(WorldTokenizer.VOCAB_FILE_NAME);
    final Path world = randomModel("finch", 65_536, "world.safetensors");
    final Path empty = Files.write(dir.resolve("empty.txt"), new byte[0]);
    final Path binary =
        Files.write(dir.resolve("binary.bin"), new byte[] {'o', 'k', ' ', (byte) 0xC3, 0x28, 0});
    final Path notAModel = Files.writeString(dir.resolve("notes.safetensors"), "just some notes");
    final Path someTensors = dir.resolve("tensors.safetensors");
    SafetensorsWriter.write(
        someTensors,
        MemoryCheckpoint.builder("some tensors")
            .put("weight", new long[] {2, 2}, new float[] {1, 2, 3, 4})
            .build(),
        DType.F32,
        Map.of());

    expectError("is empty", "eval", "--model", model.toString(), "--text-file", empty.toString());
    expectError("is empty", "eval", "--model", model.toString(), "--text", "");
    expectError(
        "not UTF-8 text (byte 0xc3 at offset 3)",
        "eval",
        "--model",
        world.toString(),
        "--vocab",
        vocab.toString(),
        "--text-file",
        binary.toString());
    expectError(
        "not UTF-8 text", "eval", "--model", model.toString(), "--text-file", binary.toString());
    expectError("needs the vocab file", "eval", "--model", world.toString(), "--text", "hello");
    expectError(
        "not a recognised checkpoint", "eval", "--model", notAModel.toString(), "--text", "hello");
    expectError(
        "not a model this engine knows",
        "eval",
        "--model",
        someTensors.toString(),
        "--text",
        "hello");
    expectError("a single token", "eval", "--model", model.toString(), "--text", "h");
    expectError(
        "--context must be 0",
        "eval",
        "--model",
        model.toString(),
        "--text",
        "hello",
        "--context",
        "-1");
    expectError(
        "text file not found",
        "eval",
        "--model",
        model.toString(),
        "--text-file",
        dir.resolve("missing.txt").toString());
    final CliRun both =
        CliRun.of(
            "eval", "--model", model.toString(), "--text", "a", "--text-file", empty.toString());
    assertThat(both.exit()).isEqualTo(2);
    assertThat(both.err()).contains("mutually exclusive");
  }

  private static void expectError(final String message, final String... args) {
    final CliRun run = CliRun.of(args);
    assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(1);
    assertThat(run.err().strip()).as(run.err()).doesNotContain("\n").contains(message);
    assertThat(run.out()).doesNotContain("loss");
  }

  @Test
  void shouldExplainItselfInHelp() {
    final StringWriter out = new StringWriter();
    final var cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    assertThat(cli.execute("eval", "--help")).isZero();
    assertThat(out.toString())
        .contains("--text-file")
        .contains("--context")
        .contains("--json")
        .contains("--vocab")
        .contains("bits per byte");
  }

  private Path randomModel(final String arch, final int vocab, final String name) {
    final Path file = dir.resolve(name);
    final CliRun run =
        CliRun.of(
            "model",
            "random",
            "--arch",
            arch,
            "--layers",
            arch.equals("goldfinch") ? "3" : "2",
            "--dim",
            "32",
            "--head-size",
            "16",
            "--vocab",
            Integer.toString(vocab),
            "--seed",
            "11",
            "--out",
            file.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    return file;
  }

  private static String sha256(final byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (final NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
