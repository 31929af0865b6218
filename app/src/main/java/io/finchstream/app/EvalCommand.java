package io.finchstream.app;

import io.finchstream.processors.LoadedModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code finchstream eval}: the mean next-token loss of a model on a text ({@link TextEvaluation}),
 * with perplexity and bits per byte; {@code --json} adds one JSON object as the last line.
 */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description = {
      "Measure how well a model predicts a text: run the text through the engine",
      "one token at a time and print the mean loss per predicted token (nats),",
      "the perplexity and the bits per byte. Every token but the first is",
      "predicted from the tokens before it.",
      "With --context N the text is split into consecutive windows of N",
      "predictions, each run from the empty state (the demo models in models/",
      "were trained and evaluated with N = 512); without it, one window spans the",
      "whole text. The text must be UTF-8. Progress goes to stderr on long texts."
    })
final class EvalCommand implements Callable<Integer> {

  /** Shortest text (in tokens) that gets a progress display. */
  static final long PROGRESS_MIN_TOKENS = 20_000;

  @Spec CommandSpec spec;

  @Mixin ServedModelOptions modelOptions;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Input input;

  /** Exactly one source of text. */
  static final class Input {
    @Option(
        names = "--text-file",
        paramLabel = "FILE",
        description = "Evaluate the text in FILE (UTF-8).")
    Path textFile;

    @Option(names = "--text", paramLabel = "TEXT", description = "Evaluate TEXT itself.")
    String text;
  }

  @Option(
      names = "--context",
      paramLabel = "N",
      defaultValue = "0",
      description = {
        "Predictions per window, each window from the empty state;",
        "0 = the whole text in one window. Default: ${DEFAULT-VALUE}."
      })
  int context;

  @Option(
      names = "--batch",
      paramLabel = "N",
      defaultValue = "16",
      description = {
        "Windows evaluated side by side in one engine call (speed",
        "only: the results are identical). Default: ${DEFAULT-VALUE}."
      })
  int batch;

  @Option(
      names = "--json",
      description = {
        "Also print one JSON object as the last line of stdout:",
        "{\"tokens\": n, \"bytes\": b, \"loss_nats_per_token\": x,",
        "\"perplexity\": p, \"bits_per_byte\": y}; bytes are the UTF-8",
        "bytes of the predicted tokens."
      })
  boolean json;

  @Override
  public Integer call() {
    if (context < 0) {
      throw new IllegalArgumentException(
          "--context must be 0 (whole text) or more, got " + context);
    }
    if (batch < 1) {
      throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
    }
    final String source = input.textFile != null ? input.textFile.toString() : "--text";
    final byte[] text =
        input.textFile != null
            ? readText(input.textFile)
            : input.text.getBytes(StandardCharsets.UTF_8);
    if (text.length == 0) {
      throw new IllegalArgumentException(source + ": the text is empty; there is nothing to score");
    }
    checkUtf8(source, text);
    final PrintWriter out = spec.commandLine().getOut();
    final PrintWriter err = spec.commandLine().getErr();
    final LoadedModel served = modelOptions.load(err);
    final int[] tokens = served.tokenizer().encodeBytes(text);
    if (tokens.length < 2) {
      throw new IllegalArgumentException(
          source
              + ": the text is a single token; a loss needs at least two (the first token is"
              + " never predicted)");
    }
    out.println(modelOptions.describe(served));
    final int windows = TextEvaluation.windows(tokens.length, context).size();
    out.printf(
        Locale.ROOT,
        "text: %,d bytes, %,d tokens; %s%n",
        text.length,
        tokens.length,
        context == 0
            ? "one window over the whole text"
            : String.format(
                Locale.ROOT,
                "%,d window%s of up to %,d predictions, each from the empty state",
                windows,
                windows == 1 ? "" : "s",
                context));
    out.flush();
    final long started = System.nanoTime();
    final TextEvaluation.Result result =
        TextEvaluation.run(
            served.model(),
            served.tokenizer(),
            tokens,
            context,
            batch,
            TerminalProgress.counting(
                err, TerminalProgress.onTerminal(), "tokens", PROGRESS_MIN_TOKENS));
    final double seconds = (System.nanoTime() - started) / 1e9;
    out.printf(
        Locale.ROOT,
        "loss %.6f nats/token, perplexity %.4f, %.4f bits/byte (%,d tokens predicted, %,d bytes;"
            + " %.1f s, %.0f tokens/s)%n",
        result.loss(),
        result.perplexity(),
        result.bitsPerByte(),
        result.tokens(),
        result.bytes(),
        seconds,
        result.tokens() / Math.max(seconds, 1e-9));
    if (json) {
      out.println(
          "{\"tokens\": "
              + result.tokens()
              + ", \"bytes\": "
              + result.bytes()
              + ", \"loss_nats_per_token\": "
              + result.loss()
              + ", \"perplexity\": "
              + result.perplexity()
              + ", \"bits_per_byte\": "
              + result.bitsPerByte()
              + "}");
    }
    out.flush();
    return 0;
  }

  private static byte[] readText(final Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (final NoSuchFileException e) {
      throw new IllegalArgumentException(file + ": text file not found", e);
    } catch (final IOException e) {
      throw new IllegalArgumentException(
          file + ": cannot read the text file: " + e.getMessage(), e);
    }
  }

  /** Refuses bytes that are not UTF-8, naming the first bad byte. */
  static void checkUtf8(final String source, final byte[] text) {
    final CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    final ByteBuffer in = ByteBuffer.wrap(text);
    final CharBuffer chars = CharBuffer.allocate(8192);
    while (true) {
      final CoderResult result = decoder.decode(in, chars, true);
      if (result.isError()) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "%s: not UTF-8 text (byte 0x%02x at offset %,d); eval scores text, convert it to"
                    + " UTF-8 first",
                source,
                text[in.position()] & 0xFF,
                in.position()));
      }
      if (result.isUnderflow()) {
        break;
      }
      chars.clear();
    }
    final CoderResult flushed = decoder.flush(chars.clear());
    if (flushed.isError()) {
      throw new IllegalArgumentException(source + ": not UTF-8 text (truncated at the end)");
    }
  }
}
