package io.finchstream.processors.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.event.EventValidator;
import io.finchstream.processors.testing.DirectEngine;
import io.finchstream.processors.testing.Events;
import io.finchstream.processors.testing.Fingerprint;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.processors.testing.TopologyFixture;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.TokenChunk;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generations stream TokenChunks identical to a direct engine run and continue the conversation's
 * state.
 */
class GenerationTest {

  private static final String PROMPT =
      "ROMEO:\nBut soft, what light through yonder window breaks?\n\nJULIET:\n";

  @TempDir Path dir;

  private final LoadedModel model = TestModels.randomFinch();

  @Test
  void shouldStreamAGreedyReplyThatEqualsTheDirectEngineAndContinueFromIt() {
    try (TopologyFixture fx =
        new TopologyFixture(model, Map.of("snapshot.interval.tokens", 25), dir)) {
      final DirectEngine direct =
          new DirectEngine(model.model(), model.tokenizer()).appendText(PROMPT);
      fx.send("c", Events.appendText(PROMPT));
      fx.send("c", Events.generateGreedy("r1", 60));
      fx.settle();
      final DirectEngine.Generation expected =
          direct.generate(params(Events.generateGreedy("r1", 60).getGenerate(), 60));
      assertReply(fx.replies("r1"), expected, PROMPT.length());

      fx.send("c", Events.appendText("\n\nROMEO:\n"));
      direct.appendText("\n\nROMEO:\n");
      fx.send("c", Events.generateSampled("r2", 50, 7));
      fx.settle();
      final DirectEngine.Generation sampled =
          direct.generate(params(Events.generateSampled("r2", 50, 7).getGenerate(), 50));
      assertReply(fx.replies("r2"), sampled, direct.history().length - sampled.tokens().length);
      assertThat(Fingerprint.of(model.model(), fx.durable().rebuild(model.model(), "c")))
          .isEqualTo(Fingerprint.of(model.model(), direct.state()));
    }
  }

  @Test
  void shouldAdvanceConcurrentGenerationsInSharedBatches() {
    try (TopologyFixture fx = new TopologyFixture(model, Map.of("compute.budget.ms", 1), dir)) {
      final List<DirectEngine> directs = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        final String prompt = PROMPT.repeat(i + 1);
        fx.send("c" + i, Events.appendText(prompt));
        directs.add(new DirectEngine(model.model(), model.tokenizer()).appendText(prompt));
      }
      for (int i = 0; i < 4; i++) {
        fx.send("c" + i, Events.generateSampled("g" + i, 30 + 5 * i, 100 + i));
      }
      fx.settle();
      for (int i = 0; i < 4; i++) {
        final DirectEngine.Generation expected =
            directs
                .get(i)
                .generate(
                    params(
                        Events.generateSampled("g" + i, 30 + 5 * i, 100 + i).getGenerate(),
                        30 + 5 * i));
        assertReply(
            fx.replies("g" + i),
            expected,
            directs.get(i).history().length - expected.tokens().length);
        assertThat(Fingerprint.of(model.model(), fx.durable().rebuild(model.model(), "c" + i)))
            .isEqualTo(Fingerprint.of(model.model(), directs.get(i).state()));
      }
      assertThat(fx.metrics.registry().find("finchstream.batch.conversations").summary().max())
          .isGreaterThanOrEqualTo(4);
    }
  }

  @Test
  void shouldEndAtAStopStringWithoutEmittingIt() {
    final DirectEngine probe =
        new DirectEngine(model.model(), model.tokenizer()).appendText(PROMPT);
    final String free =
        probe.generate(params(Events.generateGreedy("p", 80).getGenerate(), 80)).text();
    final String stop = free.substring(10, 13);
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      fx.send("c", Events.appendText(PROMPT));
      fx.send("c", Events.generateGreedy("s", 80, stop));
      fx.settle();
      final GenerationDone done = done(fx.replies("s"));
      assertThat(done.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_STOP);
      assertThat(done.getText())
          .isEqualTo(free.substring(0, free.indexOf(stop)))
          .doesNotContain(stop);
      final DirectEngine direct =
          new DirectEngine(model.model(), model.tokenizer()).appendText(PROMPT);
      direct.generate(params(Events.generateGreedy("s", 80, stop).getGenerate(), 80));
      assertThat(Fingerprint.of(model.model(), fx.durable().rebuild(model.model(), "c")))
          .isEqualTo(Fingerprint.of(model.model(), direct.state()));
    }
  }

  @Test
  void shouldEndAtAStopTokenWithoutAppendingIt() {
    final DirectEngine probe =
        new DirectEngine(model.model(), model.tokenizer()).appendText(PROMPT);
    final int[] free =
        probe.generate(params(Events.generateGreedy("p", 40).getGenerate(), 40)).tokens();
    final int stopId = free[5];
    int firstStop = 0;
    while (free[firstStop] != stopId) {
      firstStop++;
    }
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      fx.send("c", Events.appendText(PROMPT));
      fx.send(
          "c",
          Events.generate(
              Generate.newBuilder()
                  .setRequestId("t")
                  .setMaxTokens(40)
                  .addStopTokenIds(stopId)
                  .setSampling(
                      io.finchstream.proto.v1.SamplingParams.newBuilder().setTemperature(0))
                  .build()));
      fx.settle();
      final List<Reply> replies = fx.replies("t");
      assertThat(done(replies).getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_STOP);
      assertThat(tokens(replies)).containsExactly(Arrays.copyOf(free, firstStop));
      assertThat(fx.durable().meta("c").getTokens()).isEqualTo(PROMPT.length() + firstStop);
    }
  }

  @Test
  void shouldApplyEventsSentDuringAGenerationAfterItInOrder() {
    try (TopologyFixture fx = new TopologyFixture(model, Map.of("compute.budget.ms", 1), dir)) {
      fx.send("c", Events.appendText(PROMPT));
      fx.send("c", Events.generateGreedy("r", 30));
      fx.punctuate(2);
      fx.send("c", Events.appendText(" -- and then"));
      fx.send("c", Events.generateGreedy("r2", 10));
      fx.settle();
      final DirectEngine direct =
          new DirectEngine(model.model(), model.tokenizer()).appendText(PROMPT);
      final DirectEngine.Generation first =
          direct.generate(params(Events.generateGreedy("r", 30).getGenerate(), 30));
      direct.appendText(" -- and then");
      final DirectEngine.Generation second =
          direct.generate(params(Events.generateGreedy("r2", 10).getGenerate(), 10));
      assertThat(tokens(fx.replies("r"))).containsExactly(first.tokens());
      assertThat(tokens(fx.replies("r2"))).containsExactly(second.tokens());
      assertThat(Fingerprint.of(model.model(), fx.durable().rebuild(model.model(), "c")))
          .isEqualTo(Fingerprint.of(model.model(), direct.state()));
    }
  }

  @Test
  void shouldCancelARunningGenerationAndAWaitingOne() {
    try (TopologyFixture fx = new TopologyFixture(model, Map.of("compute.budget.ms", 1), dir)) {
      fx.send("c", Events.appendText(PROMPT));
      fx.send("c", Events.generateGreedy("long", 2000));
      for (int i = 0; i < 1000 && fx.replies("long").isEmpty(); i++) {
        fx.punctuate(1);
      }
      fx.send("c", Events.generateGreedy("waiting", 5));
      fx.send("c", Events.cancel("waiting"));
      fx.send("c", Events.cancel("long"));
      fx.settle();
      final List<Reply> running = fx.replies("long");
      final GenerationDone done = done(running);
      assertThat(done.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_CANCELLED);
      assertThat(done.getUsage().getCompletionTokens()).isBetween(1, 1999);
      assertThat(done.getText())
          .isEqualTo(
              running.stream()
                  .filter(Reply::hasChunk)
                  .map(r -> r.getChunk().getText())
                  .reduce("", String::concat));
      assertThat(done(fx.replies("waiting")).getFinishReason())
          .isEqualTo(FinishReason.FINISH_REASON_CANCELLED);
      assertThat(fx.replies("waiting")).hasSize(1);
      final DirectEngine direct =
          new DirectEngine(model.model(), model.tokenizer())
              .appendText(PROMPT)
              .append(tokens(running));
      assertThat(Fingerprint.of(model.model(), fx.durable().rebuild(model.model(), "c")))
          .isEqualTo(Fingerprint.of(model.model(), direct.state()));
      final DirectEngine greedy =
          new DirectEngine(model.model(), model.tokenizer()).appendText(PROMPT);
      final int[] free =
          greedy
              .generate(
                  params(
                      Events.generateGreedy("x", done.getUsage().getCompletionTokens())
                          .getGenerate(),
                      done.getUsage().getCompletionTokens()))
              .tokens();
      assertThat(tokens(running)).containsExactly(free);
    }
  }

  private static SamplingParams params(final Generate g, final int maxTokens) {
    final long seed =
        g.getSampling().hasSeed()
            ? g.getSampling().getSeed()
            : EventValidator.seedOf(g.getRequestId());
    return EventValidator.samplingParams(g, maxTokens, seed).build();
  }

  private static void assertReply(
      final List<Reply> replies, final DirectEngine.Generation expected, final long promptEnd) {
    final List<TokenChunk> chunks =
        replies.stream().filter(Reply::hasChunk).map(Reply::getChunk).toList();
    for (int i = 0; i < chunks.size(); i++) {
      assertThat(chunks.get(i).getIndex()).isEqualTo(i);
    }
    final GenerationDone done = done(replies);
    assertThat(replies.get(replies.size() - 1).hasDone()).isTrue();
    assertThat(tokens(replies)).containsExactly(expected.tokens());
    assertThat(chunks.stream().map(TokenChunk::getText).reduce("", String::concat))
        .isEqualTo(expected.text());
    assertThat(done.getText()).isEqualTo(expected.text());
    assertThat(done.getFinishReason()).isEqualTo(expected.reason());
    assertThat(done.getUsage().getCompletionTokens()).isEqualTo(expected.tokens().length);
    assertThat(done.getUsage().getConversationTokens())
        .isEqualTo(promptEnd + expected.tokens().length);
  }

  private static GenerationDone done(final List<Reply> replies) {
    return replies.stream()
        .filter(Reply::hasDone)
        .map(Reply::getDone)
        .reduce(
            (a, b) -> {
              throw new AssertionError("two GenerationDone replies");
            })
        .orElseThrow();
  }

  private static int[] tokens(final List<Reply> replies) {
    return replies.stream()
        .filter(Reply::hasChunk)
        .flatMap(r -> r.getChunk().getTokenIdsList().stream())
        .mapToInt(Integer::intValue)
        .toArray();
  }
}
