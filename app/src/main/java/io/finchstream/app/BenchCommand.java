package io.finchstream.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code finchstream bench}: quick engine measurements (see its subcommands). */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Engine measurements from the command line (run them on an otherwise idle machine).",
    subcommands = {
      CommandLine.HelpCommand.class,
      BenchDecodeCommand.class,
      BenchPrefillCommand.class,
      BenchIngestCommand.class,
      BenchBatchingCommand.class,
      BenchTurnsCommand.class
    })
final class BenchCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
