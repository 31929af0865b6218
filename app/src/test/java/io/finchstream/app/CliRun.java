package io.finchstream.app;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import picocli.CommandLine;

/** Runs the CLI in-process through {@link Main#commandLine()}, capturing stdout and stderr. */
record CliRun(int exit, String out, String err) {

  static CliRun of(final String... args) {
    final CommandLine cli = Main.commandLine();
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    final int exit = cli.execute(args);
    return new CliRun(exit, out.toString(), err.toString());
  }

  /** The last line of stdout ("" if there is none). */
  String lastLine() {
    final List<String> lines = out.strip().lines().toList();
    return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
  }
}
