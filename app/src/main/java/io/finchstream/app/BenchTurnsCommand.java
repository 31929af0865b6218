package io.finchstream.app;

import io.finchstream.processors.FinchstreamConfig;
import io.finchstream.processors.LoadedModel;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code finchstream bench turns}: going back to a turn of a long conversation against ingesting
 * its history, and what a conversation stores, through Kafka.
 */
@Command(
    name = "turns",
    mixinStandardHelpOptions = true,
    description = {
      "Through an embedded Kafka and the real processors (exactly-once): build a chat of --turns",
      "turns, then regenerate its last reply (rewind + generate) and, for comparison, ingest the",
      "whole history into a new conversation and generate the same number of tokens; go back",
      "--back turns (a fork at the turn + one generated token) and report the tokens replayed;",
      "report the bytes the conversation keeps in every store and writes per turn under the",
      "retention policy (checkpoint.*, snapshot.* settings; --set to change them).",
      "Run on an otherwise idle machine (docs/BENCHMARKS.md)."
    })
final class BenchTurnsCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ServedModelOptions modelOptions;

  @Option(
      names = "--turns",
      defaultValue = "200",
      paramLabel = "T",
      description = "Turns (a user message and a reply) of the chat. Default: ${DEFAULT-VALUE}.")
  int turns;

  @Option(
      names = "--message-tokens",
      defaultValue = "64",
      paramLabel = "M",
      description = "Tokens per message. Default: ${DEFAULT-VALUE}.")
  int messageTokens;

  @Option(
      names = "--reply-tokens",
      defaultValue = "16",
      paramLabel = "R",
      description = "Tokens each timed generation produces. Default: ${DEFAULT-VALUE}.")
  int replyTokens;

  @Option(
      names = "--back",
      split = ",",
      defaultValue = "1,2,5,10,20,50",
      paramLabel = "K",
      description = "Turns to go back. Default: ${DEFAULT-VALUE}.")
  int[] back;

  @Option(
      names = "--repeats",
      defaultValue = "3",
      paramLabel = "N",
      description = "Measurements of each kind (median). Default: ${DEFAULT-VALUE}.")
  int repeats;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Processor settings, e.g. checkpoint.recent.turns=4.")
  Map<String, String> settings = new HashMap<>();

  @Override
  public Integer call() throws Exception {
    if (turns < 2 || messageTokens < 1 || replyTokens < 1 || repeats < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--turns must be >= 2, --message-tokens, --reply-tokens and --repeats >= 1");
    }
    final PrintWriter out = spec.commandLine().getOut();
    final PrintWriter err = spec.commandLine().getErr();
    final LoadedModel model = modelOptions.load(err);
    final FinchstreamConfig config = new FinchstreamConfig(Map.copyOf(settings));
    out.println(
        String.format(
            Locale.ROOT,
            "%s; %d turns of 2 x %d tokens; retention: last %d turns, %d older bands of %d tokens;"
                + " snapshots %s",
            modelOptions.describe(model),
            turns,
            messageTokens,
            config.getInt(FinchstreamConfig.CHECKPOINT_RECENT_TURNS_CONFIG),
            config.getInt(FinchstreamConfig.CHECKPOINT_OLDER_SNAPSHOTS_CONFIG),
            config.getInt(FinchstreamConfig.CHECKPOINT_SPACING_TOKENS_CONFIG),
            config.getString(FinchstreamConfig.SNAPSHOT_PRECISION_CONFIG)));
    out.flush();
    final TurnsBenchmark.Result r =
        new TurnsBenchmark(model, turns, messageTokens, replyTokens, repeats, Map.copyOf(settings))
            .run(
                back,
                line -> {
                  err.println("bench: " + line);
                  err.flush();
                });
    out.println(
        String.format(
            Locale.ROOT,
            "history %d tokens; kept %d bytes (%d snapshots, log of %d tokens, messages from #%d);"
                + " written per turn (2 messages): %.0f bytes sent in one go, %.0f bytes"
                + " interactively (each message computed before the next)",
            r.historyTokens(),
            r.retainedBytes(),
            r.snapshots(),
            r.logTokens(),
            r.firstMessage(),
            r.writtenBytesPerTurn(),
            r.interactiveBytesPerTurn()));
    out.println(
        String.format(
            Locale.ROOT,
            "%-26s %14s %14s %16s",
            "",
            "first token ms",
            "done ms",
            "tokens computed"));
    row(out, "regenerate last reply", r.regenerate());
    row(out, "ingest whole history", r.fullIngest());
    out.println(
        String.format(
            Locale.ROOT,
            "ratio regenerate / full ingest: first token %.4f, done %.4f (goal <= 0.02)",
            r.regenerate().firstTokenMs() / r.fullIngest().firstTokenMs(),
            r.regenerate().doneMs() / r.fullIngest().doneMs()));
    for (final TurnsBenchmark.Back b : r.rewinds()) {
      row(out, b.turnsBack() + " turns back (" + b.tokensBack() + " tok)", b.timing());
    }
    out.flush();
    return 0;
  }

  private static void row(final PrintWriter out, final String what, final TurnsBenchmark.Timing t) {
    out.println(
        String.format(
            Locale.ROOT,
            "%-26s %14.1f %14.1f %16.0f",
            what,
            t.firstTokenMs(),
            t.doneMs(),
            t.computedTokens()));
  }
}
