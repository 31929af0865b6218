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
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.LiveToken;
import io.finchstream.proto.v1.Reply;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every draw of a generation is published as a live token the moment it is sampled, and what the
 * live tokens show is always the committed reply: the same draws, indices and text, whether the
 * generation runs through, is resumed by a new owner (which publishes the draws it makes again,
 * identically), or is cancelled by a reader that had shown draws the committed reply did not hold
 * yet (the reply keeps them: CancelGeneration.shown_tokens).
 */
class LiveTokensTest {

  private static final String PROMPT =
      "ROMEO:\nBut soft, what light through yonder window breaks?\n\nJULIET:\n";

  @TempDir Path dir;

  private final LoadedModel model = TestModels.randomFinch();

  @Test
  void shouldPublishEveryDrawOnceWithTheCommittedTokensAndText() {
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      fx.send("c", Events.appendText(PROMPT));
      final ConversationEvent generate = Events.generateSampled("r", 80, 7);
      fx.send("c", generate);
      fx.settle();
      final DirectEngine.Generation expected =
          new DirectEngine(model.model(), model.tokenizer())
              .appendText(PROMPT)
              .generate(params(generate, 80));
      final List<LiveToken> live = fx.liveTokens("r");
      for (int i = 0; i < live.size(); i++) {
        assertThat(live.get(i).getIndex()).as("draw %d", i).isEqualTo(i);
        assertThat(live.get(i).getConversationId()).isEqualTo("c");
        assertThat(live.get(i).getSampledAtUs()).isPositive();
      }
      assertLiveIsTheReply(live, fx.replies("r"), expected.tokens());
      assertThat(done(fx.replies("r")).getText()).isEqualTo(expected.text());
    }
  }

  @Test
  void shouldPublishTheSameDrawsAgainWhenANewOwnerResumes() {
    try (TopologyFixture fx = new TopologyFixture(model, Map.of("compute.budget.ms", 1), dir)) {
      fx.send("c", Events.appendText(PROMPT));
      final ConversationEvent generate = Events.generateSampled("r", 400, 11);
      fx.send("c", generate);
      for (int i = 0; i < 1000 && fx.replies("r").isEmpty(); i++) {
        fx.punctuate(1);
      }
      fx.restart(); // drops what the running cycle drew and the stores do not hold yet
      fx.settle();
      final DirectEngine.Generation expected =
          new DirectEngine(model.model(), model.tokenizer())
              .appendText(PROMPT)
              .generate(params(generate, 400));
      final List<LiveToken> live = fx.liveTokens("r");
      final Map<Integer, LiveToken> byIndex = new TreeMap<>();
      for (final LiveToken t : live) {
        final LiveToken first = byIndex.putIfAbsent(t.getIndex(), t);
        if (first != null) {
          assertThat(t.toBuilder().clearSampledAtUs().build())
              .as("draw %d published again by the new owner", t.getIndex())
              .isEqualTo(first.toBuilder().clearSampledAtUs().build());
        }
      }
      assertThat(byIndex.keySet()).containsExactlyElementsOf(range(byIndex.size()));
      assertLiveIsTheReply(List.copyOf(byIndex.values()), fx.replies("r"), expected.tokens());
    }
  }

  @Test
  void shouldKeepEveryDrawACancelSaysWasShownAlsoAfterARestart() {
    try (TopologyFixture fx = new TopologyFixture(model, Map.of("compute.budget.ms", 1), dir)) {
      fx.send("c", Events.appendText(PROMPT));
      fx.send("c", Events.generateGreedy("long", 2000));
      for (int i = 0; i < 1000 && fx.replies("long").isEmpty(); i++) {
        fx.punctuate(1);
      }
      final int shown = fx.liveTokens("long").size() + 30;
      fx.send("c", Events.cancel("long", shown));
      fx.restart(); // the new owner resumes from the stores, which hold the cancel
      fx.settle();
      final List<Reply> replies = fx.replies("long");
      final GenerationDone done = done(replies);
      assertThat(done.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_CANCELLED);
      assertThat(done.getUsage().getCompletionTokens()).isBetween(shown, 1999);
      final int[] greedy =
          new DirectEngine(model.model(), model.tokenizer())
              .appendText(PROMPT)
              .generate(
                  params(
                      Events.generateGreedy("x", done.getUsage().getCompletionTokens()),
                      done.getUsage().getCompletionTokens()))
              .tokens();
      assertThat(tokens(replies)).containsExactly(greedy);
    }
  }

  /** The distinct live draws {@code live} show exactly the committed reply. */
  private static void assertLiveIsTheReply(
      final List<LiveToken> live, final List<Reply> replies, final int[] expected) {
    final StringBuilder text = new StringBuilder();
    final List<Integer> liveTokens = new ArrayList<>();
    for (final LiveToken t : live) {
      assertThat(t.getTextOffset())
          .as("text offset of draw %d", t.getIndex())
          .isEqualTo(text.codePointCount(0, text.length()));
      text.append(t.getText());
      if (t.hasTokenId()) {
        liveTokens.add(t.getTokenId());
      }
    }
    assertThat(liveTokens.stream().mapToInt(Integer::intValue).toArray())
        .containsExactly(tokens(replies));
    assertThat(tokens(replies)).containsExactly(expected);
    assertThat(text.toString()).isEqualTo(done(replies).getText());
  }

  private static List<Integer> range(final int n) {
    return IntStream.range(0, n).boxed().toList();
  }

  private static SamplingParams params(final ConversationEvent event, final int maxTokens) {
    final var g = event.getGenerate();
    final long seed =
        g.getSampling().hasSeed()
            ? g.getSampling().getSeed()
            : EventValidator.seedOf(g.getRequestId());
    return EventValidator.samplingParams(g, maxTokens, seed).build();
  }

  private static GenerationDone done(final List<Reply> replies) {
    final List<GenerationDone> done =
        replies.stream().filter(Reply::hasDone).map(Reply::getDone).toList();
    assertThat(done).hasSize(1);
    return done.get(0);
  }

  private static int[] tokens(final List<Reply> replies) {
    return replies.stream()
        .filter(Reply::hasChunk)
        .flatMap(r -> r.getChunk().getTokenIdsList().stream())
        .mapToInt(Integer::intValue)
        .toArray();
  }
}
