package io.finchstream.loadtests.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The quick variant of the chaos suite, as CI runs it: three brokers, three instances, 90 s of chat
 * load with an instance struck every 20-30 s and a broker stopped once; every check must hold. The
 * long run is documented in docs/BENCHMARKS.md.
 */
class ChaosSuiteTest {

  /**
   * Not a temporary directory: the instances' logs and report.json must outlive a failed run, to
   * find in them the requests the report names. The suite empties it when it starts.
   */
  private static final Path WORK = Path.of("target", "chaos-suite");

  // Was disabled (2026-12-07): in 1 of 3 runs two Generates accepted during the chaos never got
  // a final reply. The cause: when Kafka Streams revived or resumed a task it initialised the same
  // ConversationProcessor instance again, which then never resumed the generation (and the events
  // queued behind it) held in its stores (TaskReviveTest; docs/PROCESSORS.md, "Generation"). On a
  // failure the report names each request without a final reply (conversation, partition and
  // offset of its Generate, when it was accepted) and the logs stay in WORK.
  @Test
  void shouldKeepEveryAcceptedMessageAndReplyExactlyOnceThroughKillsAndRestarts() {
    final ChaosSuite suite = new ChaosSuite();
    final int exit =
        new CommandLine(suite)
            .execute(
                "--duration", "90",
                "--conversations", "8",
                "--kill-every", "20-30",
                "--down-for", "5-15",
                "--broker-down-for", "10-15",
                "--max-tokens", "16",
                "--work", WORK.toString());
    assertThat(suite.report).as("the suite ran to its report").isNotNull();
    assertThat(suite.report.verdict().failures())
        .as("failed checks (report.json and the instances' logs: %s)", WORK.toAbsolutePath())
        .isEmpty();
    assertThat(exit).isZero();
    assertThat(suite.report.verdict().messagesAccepted()).as("accepted messages").isPositive();
    assertThat(suite.report.verdict().streamsFinished()).as("finished streams").isPositive();
    assertThat(
            (Integer) suite.report.chaos().get("kills")
                + (Integer) suite.report.chaos().get("sigterms"))
        .as("instances struck")
        .isPositive();
  }
}
