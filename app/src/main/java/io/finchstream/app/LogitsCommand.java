package io.finchstream.app;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code finchstream logits}: runs token ids from the empty state and writes the next-token logits
 * of every position (or of the last one) as raw little-endian float32, row-major {@code [positions
 * × vocab]}.
 */
@Command(
    name = "logits",
    mixinStandardHelpOptions = true,
    description = {
      "Run token ids through a model from the empty state and write the logits after each position",
      "(or only the last) as raw little-endian float32, row-major [positions x vocab]."
    })
final class LogitsCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ModelOptions modelOptions;

  @Option(names = "--tokens", required = true, split = ",", paramLabel = "IDS",
      description = "Comma-separated token ids, e.g. 34,105,110.")
  int[] tokens;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output file (overwritten).")
  Path out;

  @Option(names = "--last-only", description = "Write only the logits after the last token.")
  boolean lastOnly;

  @Override
  public Integer call() throws IOException {
    if (tokens.length == 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--tokens needs at least one token id");
    }
    final LanguageModel model = modelOptions.load(spec.commandLine().getErr());
    final int vocab = model.info().vocabSize();
    for (int t = 0; t < tokens.length; t++) {
      if (tokens[t] < 0 || tokens[t] >= vocab) {
        throw new IllegalArgumentException("token " + tokens[t] + " at position " + t + " of --tokens is out of range:"
            + " the model's vocabulary has ids 0.." + (vocab - 1));
      }
    }
    final ModelState state = model.newState();
    final float[][] row = new float[1][vocab];
    final int positions = lastOnly ? 1 : tokens.length;
    final ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(positions, vocab * 4)).order(ByteOrder.LITTLE_ENDIAN);
    if (lastOnly) {
      model.ingest(List.of(state), List.of(tokens));
      model.logits(List.of(state), row);
      bytes.asFloatBuffer().put(row[0]);
    } else {
      for (int t = 0; t < tokens.length; t++) {
        model.step(List.of(state), new int[] {tokens[t]}, row);
        bytes.asFloatBuffer().put(t * vocab, row[0]);
      }
    }
    try (FileChannel channel = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
    } catch (final IOException e) {
      throw new IOException(out + ": cannot write the logits (" + e.getMessage() + "); check the directory", e);
    }
    spec.commandLine().getOut().println("wrote " + positions + " x " + vocab + " float32 logits to " + out);
    spec.commandLine().getOut().flush();
    return 0;
  }
}
