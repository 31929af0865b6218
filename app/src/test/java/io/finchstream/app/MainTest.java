package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {

  private record Run(int exit, String out, String err) {}

  private static Run run(final String... args) {
    final CommandLine cli = Main.commandLine();
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    final int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void shouldListEverySubcommandInHelp() {
    final Run run = run("--help");
    assertThat(run.exit()).isZero();
    for (final String name : Main.commandLine().getSubcommands().keySet()) {
      assertThat(run.out()).contains(name);
    }
  }

  @Test
  void shouldGiveEverySubcommandItsOwnHelp() {
    for (final var entry : Main.commandLine().getSubcommands().entrySet()) {
      if (entry.getKey().equals("help")) {
        continue;
      }
      final Run run = run(entry.getKey(), "--help");
      assertThat(run.exit()).as(entry.getKey() + " --help").isZero();
      assertThat(run.out()).as(entry.getKey() + " --help").contains("Usage:");
    }
  }

  @Test
  void shouldRejectUnknownCommandWithUsageError() {
    final Run run = run("no-such-command");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("no-such-command");
  }
}
