package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.tokenizer.TokenizerTestData;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DetokenizeCommandTest {

  @TempDir Path dir;

  private static String vocab() {
    return TokenizerTestData.worldVocab().toString();
  }

  @Test
  void shouldPrintTheDecodedTextExactly() {
    final CliRun run =
        CliRun.of("detokenize", "--vocab", vocab(), "--tokens", "24281,59,4571,261,5585,41693,59");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo("User: hi\n\nAssistant:");
  }

  @Test
  void shouldAcceptSpacesAndTheJsonArrayThatTokenizePrints() {
    final String ids =
        CliRun.of("tokenize", "--vocab", vocab(), "--text", "Привет, мир 👍🏽").lastLine();
    final CliRun run = CliRun.of("detokenize", "--vocab", vocab(), "--tokens", ids);
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo("Привет, мир 👍🏽");
  }

  @Test
  void shouldPrintNothingForEndOfText() {
    final CliRun run = CliRun.of("detokenize", "--vocab", vocab(), "--tokens", "33155, 0, 40213");
    assertThat(run.out()).isEqualTo("Hello world");
  }

  @Test
  void shouldFailWithOneLineForAnIdOutsideTheVocabulary() {
    final CliRun run = CliRun.of("detokenize", "--vocab", vocab(), "--tokens", "33155,65536");
    assertThat(run.exit()).isNotZero();
    assertThat(run.out()).isEmpty();
    assertThat(run.err().strip())
        .doesNotContain("\n")
        .contains("token id 65536 is outside the vocabulary");
    final CliRun negative = CliRun.of("detokenize", "--vocab", vocab(), "--tokens", "-1");
    assertThat(negative.exit()).isNotZero();
    assertThat(negative.err()).contains("token id -1");
  }

  @Test
  void shouldFailWithOneLineForAnIdThatIsNotANumber() {
    final CliRun run = CliRun.of("detokenize", "--vocab", vocab(), "--tokens", "33155,abc");
    assertThat(run.exit()).isNotZero();
    assertThat(run.err().strip()).doesNotContain("\n").contains("'abc' (item 2) is not a token id");
  }

  @Test
  void shouldFailWithOneLineForAMissingVocab() {
    final Path missing = dir.resolve("missing-vocab.txt");
    final CliRun run = CliRun.of("detokenize", "--vocab", missing.toString(), "--tokens", "1,2");
    assertThat(run.exit()).isNotZero();
    assertThat(run.err().strip())
        .doesNotContain("\n")
        .contains(missing.toString())
        .contains("not found");
  }
}
