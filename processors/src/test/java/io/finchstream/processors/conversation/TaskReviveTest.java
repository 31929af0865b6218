package io.finchstream.processors.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.event.EventValidator;
import io.finchstream.processors.testing.DirectEngine;
import io.finchstream.processors.testing.Events;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.processors.testing.TopologyFixture;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.Reply;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka Streams reuses a task's processor instances when it revives the task (after a {@code
 * TaskCorruptedException}: closed dirty, state restored, initialised again) or gets a suspended
 * task back: {@code close} then {@code init} on the same instance. A processor initialised again
 * must pick up the generations and queued events in its stores as a new one does; the chaos suite
 * lost replies when it did not (docs/PROCESSORS.md, "Generation").
 */
class TaskReviveTest {

  private static final String PROMPT =
      "ROMEO:\nBut soft, what light through yonder window breaks?\n\nJULIET:\n";
  private static final String NEXT = "\n\nROMEO:\nIt is my lady.\n\nJULIET:\n";

  /** Punctuations a generation of these lengths needs here, with a wide margin. */
  private static final int PUNCTUATIONS = 5_000;

  @TempDir Path dir;

  private final LoadedModel model = TestModels.randomFinch();

  @Test
  void aGenerationUnderWayWhenItsTaskIsRevivedEndsAndTheEventsBehindItFollow() {
    try (TopologyFixture fx = new TopologyFixture(model, Map.of("compute.budget.ms", 1), dir)) {
      fx.send("c", Events.appendText(PROMPT));
      final ConversationEvent first = Events.generateUntilCancelled("r1", 80);
      fx.send("c", first);
      for (int i = 0; i < PUNCTUATIONS && fx.replies("r1").isEmpty(); i++) {
        fx.punctuate(1);
      }
      assertThat(fx.replies("r1")).as("r1 under way").isNotEmpty().noneMatch(Reply::hasDone);
      // both wait behind r1, in the conversation's queue of deferred events
      fx.send("c", Events.appendText(NEXT));
      final ConversationEvent second = Events.generateUntilCancelled("r2", 20);
      fx.send("c", second);

      fx.reviveTask();

      for (int i = 0; i < PUNCTUATIONS && !finished(fx.replies("r2")); i++) {
        fx.punctuate(1);
      }
      assertThat(finished(fx.replies("r1"))).as("r1 got its final reply").isTrue();
      assertThat(finished(fx.replies("r2"))).as("r2 got its final reply").isTrue();
      final DirectEngine direct =
          new DirectEngine(model.model(), model.tokenizer()).appendText(PROMPT);
      assertReply(fx.replies("r1"), direct.generate(params(first.getGenerate(), 80)));
      direct.appendText(NEXT);
      assertReply(fx.replies("r2"), direct.generate(params(second.getGenerate(), 20)));
      assertThat(fx.durable().meta("c").getTokens()).isEqualTo(direct.history().length);
      assertThat(fx.deadLetters()).isEmpty();
    }
  }

  @Test
  void eventsQueuedBehindAGenerationThatEndedBeforeTheReviveAreApplied() {
    try (TopologyFixture fx = new TopologyFixture(model, Map.of("compute.budget.ms", 1), dir)) {
      fx.send("c", Events.appendText(PROMPT));
      fx.send("c", Events.generateUntilCancelled("r1", 30));
      fx.send("c", Events.appendText(NEXT));
      final ConversationEvent second = Events.generateUntilCancelled("r2", 10);
      fx.send("c", second);
      fx.settle();
      assertThat(finished(fx.replies("r2"))).as("r2 before the revive").isTrue();

      fx.reviveTask();
      fx.send("c", Events.generateUntilCancelled("r3", 40));
      fx.send("c", Events.generateUntilCancelled("r4", 10)); // waits behind r3
      fx.reviveTask(); // r3 under way or about to start, r4 queued
      for (int i = 0; i < PUNCTUATIONS && !finished(fx.replies("r4")); i++) {
        fx.punctuate(1);
      }
      assertThat(finished(fx.replies("r3"))).as("r3 got its final reply").isTrue();
      assertThat(finished(fx.replies("r4"))).as("r4 got its final reply").isTrue();
    }
  }

  private static boolean finished(final List<Reply> replies) {
    return replies.stream().anyMatch(r -> r.hasDone() || r.hasError());
  }

  /** Exactly one GenerationDone, chunks numbered without gaps, tokens those of a direct run. */
  private static void assertReply(final List<Reply> replies, final DirectEngine.Generation want) {
    final List<GenerationDone> done =
        replies.stream().filter(Reply::hasDone).map(Reply::getDone).toList();
    assertThat(done).hasSize(1);
    assertThat(replies.getLast().hasDone()).as("nothing after the GenerationDone").isTrue();
    assertThat(replies).noneMatch(Reply::hasError);
    final List<Reply> chunks = replies.stream().filter(Reply::hasChunk).toList();
    for (int i = 0; i < chunks.size(); i++) {
      assertThat(chunks.get(i).getChunk().getIndex()).as("chunk %d", i).isEqualTo(i);
    }
    assertThat(
            chunks.stream()
                .flatMap(r -> r.getChunk().getTokenIdsList().stream())
                .mapToInt(Integer::intValue)
                .toArray())
        .containsExactly(want.tokens());
    assertThat(done.get(0).getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_LENGTH);
    assertThat(done.get(0).getText()).isEqualTo(want.text());
  }

  private static SamplingParams params(final Generate g, final int maxTokens) {
    final long seed =
        g.getSampling().hasSeed()
            ? g.getSampling().getSeed()
            : EventValidator.seedOf(g.getRequestId());
    return EventValidator.samplingParams(g, maxTokens, seed).build();
  }
}
