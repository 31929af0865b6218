package io.finchstream.app;

import io.finchstream.engine.tokenizer.WorldTokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code finchstream tokenize}: text → RWKV World token ids, printed as one JSON array on the last
 * line of stdout (finch-math.md §4.2).
 */
@Command(
    name = "tokenize",
    mixinStandardHelpOptions = true,
    description = {
      "Encode text with the RWKV World tokenizer (greedy longest match over UTF-8 bytes).",
      "Prints the token ids as one JSON array on the last line of stdout."
    })
final class TokenizeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--vocab",
      required = true,
      paramLabel = "FILE",
      description = "The World vocab file (" + WorldTokenizer.VOCAB_FILE_NAME + ").")
  Path vocab;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Input input;

  /** Exactly one source of text. */
  static final class Input {
    @Option(
        names = "--text-file",
        paramLabel = "FILE",
        description = "Read the text from FILE (raw bytes, no decoding).")
    Path textFile;

    @Option(names = "--text", paramLabel = "TEXT", description = "The text itself.")
    String text;
  }

  @Override
  public Integer call() {
    final WorldTokenizer tokenizer = WorldTokenizer.load(vocab);
    final int[] ids =
        input.textFile != null
            ? tokenizer.encodeBytes(readText(input.textFile))
            : tokenizer.encode(input.text);
    final PrintWriter out = spec.commandLine().getOut();
    out.println(jsonArray(ids));
    out.flush();
    return 0;
  }

  private static byte[] readText(final Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (final NoSuchFileException e) {
      throw new IllegalArgumentException(file + ": text file not found", e);
    } catch (final IOException e) {
      throw new IllegalArgumentException(file + ": cannot read text file: " + e.getMessage(), e);
    }
  }

  /** {@code [1, 2, 3]}. */
  static String jsonArray(final int[] ids) {
    final StringBuilder json = new StringBuilder(ids.length * 7 + 2).append('[');
    for (int i = 0; i < ids.length; i++) {
      if (i > 0) {
        json.append(", ");
      }
      json.append(ids[i]);
    }
    return json.append(']').toString();
  }
}
