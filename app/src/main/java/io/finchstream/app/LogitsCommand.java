package io.finchstream.app;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.goldfinch.GoldCache;
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
 * × vocab]}; for GoldFinch optionally the compressed keys c_t {@code [positions × R]}.
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

  @Option(
      names = "--tokens",
      required = true,
      split = ",",
      paramLabel = "IDS",
      description = "Comma-separated token ids, e.g. 34,105,110.")
  int[] tokens;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "FILE",
      description = "Output file (overwritten).")
  Path out;

  @Option(
      names = "--last-only",
      description = {
        "Write only the logits after the last token. The tokens are ingested as a prompt (GoldFinch:",
        "streaming prefill through the Finch-C2 blocks, then the GOLD stack over the final window);",
        "without it every token runs through all layers, one at a time."
      })
  boolean lastOnly;

  @Option(
      names = "--cache-out",
      paramLabel = "FILE",
      description = {
        "GoldFinch only: also write the compressed key c_t of every position as raw little-endian",
        "float32, row-major [positions x R]."
      })
  Path cacheOut;

  @Override
  public Integer call() throws IOException {
    if (tokens.length == 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--tokens needs at least one token id");
    }
    final LanguageModel model = modelOptions.load(spec.commandLine().getErr());
    final int vocab = model.info().vocabSize();
    for (int t = 0; t < tokens.length; t++) {
      if (tokens[t] < 0 || tokens[t] >= vocab) {
        throw new IllegalArgumentException(
            "token "
                + tokens[t]
                + " at position "
                + t
                + " of --tokens is out of range:"
                + " the model's vocabulary has ids 0.."
                + (vocab - 1));
      }
    }
    final ModelState state = model.newState();
    if (cacheOut != null && !(state.cache() instanceof GoldCache)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--cache-out needs a GoldFinch model; "
              + modelOptions.model
              + " is "
              + model.info().architecture()
              + ", which keeps no per-token cache");
    }
    final float[][] row = new float[1][vocab];
    final int positions = lastOnly ? 1 : tokens.length;
    final ByteBuffer bytes =
        ByteBuffer.allocate(Math.multiplyExact(positions, vocab * 4))
            .order(ByteOrder.LITTLE_ENDIAN);
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
    write(out, bytes, "logits");
    spec.commandLine()
        .getOut()
        .println("wrote " + positions + " x " + vocab + " float32 logits to " + out);
    if (cacheOut != null) {
      final GoldCache cache = (GoldCache) state.cache();
      final int r = cache.compressed();
      final ByteBuffer keys =
          ByteBuffer.allocate(Math.multiplyExact(tokens.length, r * 4))
              .order(ByteOrder.LITTLE_ENDIAN);
      final float[] c = new float[r];
      for (int t = 0; t < tokens.length; t++) {
        cache.compressedKey(t, c, 0);
        keys.asFloatBuffer().put(t * r, c);
      }
      write(cacheOut, keys, "compressed keys");
      spec.commandLine()
          .getOut()
          .println(
              "wrote " + tokens.length + " x " + r + " float32 compressed keys c_t to " + cacheOut);
    }
    spec.commandLine().getOut().flush();
    return 0;
  }

  private static void write(final Path file, final ByteBuffer bytes, final String what)
      throws IOException {
    try (FileChannel channel =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
    } catch (final IOException e) {
      throw new IOException(
          file + ": cannot write the " + what + " (" + e.getMessage() + "); check the directory",
          e);
    }
  }
}
