package io.finchstream.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code finchstream} command line. Each subcommand is a small class of its own; this one only
 * lists them, prints help, and maps failures to a message and a non-zero exit code.
 */
@Command(
    name = "finchstream",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Event-driven inference for recurrent language models (Finch / GoldFinch) on Kafka Streams.",
      "",
      "Run `finchstream COMMAND --help` for the options of a command."
    },
    subcommands = {
      CommandLine.HelpCommand.class,
      VersionCommand.class,
      TokenizeCommand.class,
      DetokenizeCommand.class,
      LogitsCommand.class,
      GenerateCommand.class,
      InspectCommand.class,
      EvalCommand.class,
      ModelCommand.class,
      BenchCommand.class,
      UpCommand.class,
      ServeCommand.class,
      SendCommand.class,
      TailCommand.class,
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(final String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line; tests run commands through this too. */
  public static CommandLine commandLine() {
    final CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler(new CliErrors());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    return cli;
  }
}
