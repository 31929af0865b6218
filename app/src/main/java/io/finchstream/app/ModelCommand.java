package io.finchstream.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code finchstream model}: model file utilities (see its subcommands). */
@Command(
    name = "model",
    mixinStandardHelpOptions = true,
    description = "Model file utilities.",
    subcommands = {CommandLine.HelpCommand.class, ModelRandomCommand.class, ModelDemoCommand.class})
final class ModelCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
