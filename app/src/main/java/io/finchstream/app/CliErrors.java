package io.finchstream.app;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns a failure inside a command into one clear line on stderr and exit code 1, instead of a
 * stack trace. {@code FINCHSTREAM_DEBUG=1} prints the stack trace as well.
 */
final class CliErrors implements IExecutionExceptionHandler {

  static final int EXIT_FAILURE = 1;

  @Override
  public int handleExecutionException(
      final Exception ex, final CommandLine cli, final ParseResult parseResult) {
    final String message =
        ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
    cli.getErr()
        .println(
            cli.getColorScheme().errorText("finchstream " + cli.getCommandName() + ": " + message));
    if (System.getenv("FINCHSTREAM_DEBUG") != null) {
      ex.printStackTrace(cli.getErr());
    }
    return EXIT_FAILURE;
  }
}
