package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MainTest {

  @Test
  void shouldListEverySubcommandInHelp() {
    final CliRun run = CliRun.of("--help");
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
      final CliRun run = CliRun.of(entry.getKey(), "--help");
      assertThat(run.exit()).as(entry.getKey() + " --help").isZero();
      assertThat(run.out()).as(entry.getKey() + " --help").contains("Usage:");
    }
  }

  @Test
  void shouldRejectUnknownCommandWithUsageError() {
    final CliRun run = CliRun.of("no-such-command");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("no-such-command");
  }
}
