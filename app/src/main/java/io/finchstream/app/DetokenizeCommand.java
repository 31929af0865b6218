package io.finchstream.app;

import io.finchstream.engine.tokenizer.WorldTokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code finchstream detokenize}: RWKV World token ids → text, printed exactly (no newline added).
 */
@Command(
    name = "detokenize",
    mixinStandardHelpOptions = true,
    description = {
      "Decode RWKV World token ids to text and print it exactly as decoded (no newline is added).",
      "Id 0 is end of text and prints nothing; invalid UTF-8 prints as U+FFFD."
    })
final class DetokenizeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--vocab",
      required = true,
      paramLabel = "FILE",
      description = "The World vocab file (" + WorldTokenizer.VOCAB_FILE_NAME + ").")
  Path vocab;

  @Option(
      names = "--tokens",
      required = true,
      paramLabel = "IDS",
      description =
          "Comma-separated token ids, e.g. 33155,40213 (a JSON array such as [33155, 40213] works too).")
  String tokens;

  @Override
  public Integer call() {
    final int[] ids = parseIds(tokens);
    final WorldTokenizer tokenizer = WorldTokenizer.load(vocab);
    final PrintWriter out = spec.commandLine().getOut();
    out.print(tokenizer.decode(ids));
    out.flush();
    return 0;
  }

  /** "1,2, 3" or "[1, 2, 3]" → ids; anything else is a clear error. */
  static int[] parseIds(final String text) {
    String body = text.strip();
    if (body.startsWith("[") && body.endsWith("]")) {
      body = body.substring(1, body.length() - 1).strip();
    }
    if (body.isEmpty()) {
      return new int[0];
    }
    final String[] parts = body.split(",", -1);
    final int[] ids = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      final String part = parts[i].strip();
      try {
        ids[i] = Integer.parseInt(part);
      } catch (final NumberFormatException e) {
        throw new IllegalArgumentException(
            "--tokens: '"
                + part
                + "' (item "
                + (i + 1)
                + ") is not a token id; expected comma-separated integers like 33155,40213",
            e);
      }
    }
    return ids;
  }
}
