package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TerminalProgressTest {

  @Test
  void shouldNotTakeRedirectedStreamsForATerminal() {
    // Surefire's forked JVM talks to Maven through pipes: whatever System.console() returns there
    // (a console, on JDKs 22 to 24), progress must not overwrite lines in a log.
    assertThat(TerminalProgress.onTerminal()).isFalse();
  }
}
