package io.finchstream.processors.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.testing.Events;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.processors.testing.TopologyFixture;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.Role;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code n} choices prefill their prompt once (issue 15): the gateway appends the prompt, forks one
 * branch per extra choice and then generates on each. A branch forked before the prompt is computed
 * would replay the prompt from the last snapshot itself; instead its Fork waits until the source's
 * state holds the prompt, and every branch starts from a copy of that state.
 */
class BranchPrefillTest {

  private static final String PROMPT =
      "ROMEO:\nBut soft, what light through yonder window breaks? It is the east, and Juliet"
          + " is the sun. Arise, fair sun, and kill the envious moon, who is already sick and"
          + " pale with grief that thou her maid art far more fair than she.";

  @TempDir Path dir;

  @Test
  void shouldComputeThePromptOnceForEveryBranchForkedBeforeItWasComputed() {
    final LoadedModel model = TestModels.randomFinch();
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      fx.send("p", Events.appendText(PROMPT, Role.ROLE_USER)); // pending: nothing computed yet
      fx.send("p", Events.fork("p~n1.1"));
      fx.send("p", Events.fork("p~n1.2"));
      fx.send("p~n1.1", Events.generateGreedy("choice-1", 12));
      fx.send("p~n1.2", Events.generateGreedy("choice-2", 12));
      fx.send("p", Events.generateGreedy("choice-0", 12));
      fx.settle();

      final long prompt = model.tokenizer().encode("User: " + PROMPT + "\n\n").length;
      // the prompt once, and each reply's last token (sampled, then ingested with the reply)
      assertThat(fx.metrics.count("finchstream.tokens.computed"))
          .as("the prompt went through the engine once, not once per branch")
          .isEqualTo((double) prompt + 3);
      assertThat(fx.metrics.count("finchstream.events", "type", "fork_awaits_compute"))
          .as("the forks waited for the prompt's compute")
          .isEqualTo(1.0);
      final String choice0 = done(fx.replies("choice-0"));
      assertThat(choice0).isNotEmpty();
      assertThat(done(fx.replies("choice-1"))).as("greedy from the same state").isEqualTo(choice0);
      assertThat(done(fx.replies("choice-2"))).isEqualTo(choice0);
      assertThat(fx.durable().meta("p~n1.1").getTokens())
          .isEqualTo(fx.durable().meta("p").getTokens());
    }
  }

  private static String done(final List<Reply> replies) {
    assertThat(replies).isNotEmpty();
    final Reply last = replies.get(replies.size() - 1);
    assertThat(last.hasDone()).as("%s", last).isTrue();
    return last.getDone().getText();
  }
}
