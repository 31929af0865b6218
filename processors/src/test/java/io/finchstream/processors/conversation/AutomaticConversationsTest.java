package io.finchstream.processors.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.testing.Events;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.processors.testing.TopologyFixture;
import io.finchstream.proto.MessageHistory;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.Role;
import io.finchstream.proto.v1.SamplingParams;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The processors' side of automatic reuse: a Generate that expects another history is refused with
 * HISTORY_CHANGED and changes nothing; automatic conversations ({@code auto-...}) are bounded per
 * tenant (least recently changed evicted first, never a running one, another tenant untouched) and
 * expire after their own idle time while named ones stay.
 */
class AutomaticConversationsTest {

  @TempDir Path dir;

  private static ConversationEvent expecting(
      final String requestId, final ByteString digest, final int maxTokens) {
    return Events.generate(
        Generate.newBuilder()
            .setRequestId(requestId)
            .setMaxTokens(maxTokens)
            .setPrefixText("Assistant:")
            .setExpectMessageDigest(digest)
            .setSampling(SamplingParams.newBuilder().setTemperature(0f))
            .build());
  }

  @Test
  void shouldRefuseAGenerateWhoseExpectedHistoryIsNotTheConversationsOne() {
    final LoadedModel model = TestModels.randomFinch();
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      fx.send("auto-a", Events.appendText("Hello there", Role.ROLE_USER));
      final ByteString planned =
          MessageHistory.digestOf(List.of(Role.ROLE_USER), List.of("Hello there"));
      // another request appended in between
      fx.send("auto-a", Events.appendText("Something else", Role.ROLE_USER));
      fx.send("auto-a", expecting("stale", planned, 4));
      fx.settle();
      final List<Reply> stale = fx.replies("stale");
      assertThat(stale).singleElement().satisfies(r -> assertThat(r.hasError()).isTrue());
      assertThat(stale.get(0).getError().getCode()).isEqualTo(ErrorCode.HISTORY_CHANGED);
      assertThat(fx.durable().meta("auto-a").getMessages())
          .as("nothing generated, no prefix appended")
          .isEqualTo(2);
      final long tokens = fx.durable().meta("auto-a").getTokens();

      final ByteString current =
          MessageHistory.digestOf(
              List.of(Role.ROLE_USER, Role.ROLE_USER), List.of("Hello there", "Something else"));
      fx.send("auto-a", expecting("fresh", current, 4));
      fx.settle();
      assertThat(fx.replies("fresh")).last().satisfies(r -> assertThat(r.hasDone()).isTrue());
      assertThat(fx.durable().meta("auto-a").getTokens()).isGreaterThan(tokens);
      assertThat(fx.durable().meta("auto-a").getMessages()).isEqualTo(3);
    }
  }

  @Test
  void shouldEvictTheLeastRecentlyChangedAutomaticConversationsOfATenantBeyondTheBound() {
    final LoadedModel model = TestModels.randomFinch();
    try (TopologyFixture fx =
        new TopologyFixture(
            model, Map.of("auto.conversations.max.per.tenant", 3, "compute.budget.ms", 1), dir)) {
      for (final String id : List.of("auto-1", "auto-2", "auto-3")) {
        fx.send(id, Events.appendText("Hi " + id, Role.ROLE_USER));
        fx.driver.advanceWallClockTime(Duration.ofSeconds(1));
      }
      // other tenants and named conversations do not count
      fx.send("t/acme/auto-1", Events.appendText("Hi", Role.ROLE_USER));
      fx.send("named", Events.appendText("Hi", Role.ROLE_USER));
      fx.driver.advanceWallClockTime(Duration.ofSeconds(1));
      // auto-1 used again: auto-2 is now the least recently changed
      fx.send("auto-1", Events.appendText("again", Role.ROLE_USER));
      fx.driver.advanceWallClockTime(Duration.ofSeconds(1));
      fx.settle();
      assertThat(fx.durable().meta("auto-2")).isNotNull();

      // a fourth (a branch by fork) evicts auto-2
      fx.send("auto-3", Events.forkAt("auto-3~b", 1));
      fx.settle();
      assertThat(fx.durable().meta("auto-3~b")).isNotNull();
      assertThat(fx.durable().meta("auto-2")).as("the least recently changed").isNull();
      assertThat(fx.durable().logEntries("auto-2")).isEmpty();
      assertThat(fx.durable().meta("auto-1")).isNotNull();
      assertThat(fx.durable().meta("auto-3")).isNotNull();
      assertThat(fx.durable().meta("t/acme/auto-1")).as("another tenant").isNotNull();
      assertThat(fx.durable().meta("named")).isNotNull();
      assertThat(fx.metrics.count("finchstream.events", "type", "evicted")).isEqualTo(1.0);

      // a running generation is never evicted: auto-1 generates, a new one evicts auto-3 instead
      // All changed at the same instant, so auto-1 (first by id) would go first, but it generates.
      fx.driver.advanceWallClockTime(Duration.ofSeconds(1));
      fx.send("auto-1", Events.generateGreedy("long", 4000));
      fx.send("auto-3", Events.appendText("touch", Role.ROLE_USER));
      fx.send("auto-3~b", Events.appendText("touch", Role.ROLE_USER));
      fx.send("auto-5", Events.appendText("Hi", Role.ROLE_USER));
      fx.punctuate(2);
      assertThat(fx.durable().meta("auto-1")).as("generating").isNotNull();
      assertThat(fx.durable().meta("auto-3")).isNull();
      assertThat(fx.durable().meta("auto-3~b")).isNotNull();
      assertThat(fx.durable().meta("auto-5")).isNotNull();
    }
  }

  @Test
  void shouldExpireIdleAutomaticConversationsAfterTheirOwnTime() {
    final LoadedModel model = TestModels.randomFinch();
    try (TopologyFixture fx =
        new TopologyFixture(
            model,
            Map.of("auto.conversation.idle.expiry.ms", 60_000L, "compute.budget.ms", 1),
            dir)) {
      fx.send("auto-old", Events.appendText("Hi", Role.ROLE_USER));
      fx.send("t/acme/auto-old", Events.appendText("Hi", Role.ROLE_USER));
      fx.send("named", Events.appendText("Hi", Role.ROLE_USER));
      fx.settle();
      fx.driver.advanceWallClockTime(Duration.ofSeconds(40));
      fx.send("auto-recent", Events.appendText("Hi", Role.ROLE_USER));
      fx.punctuate(3);
      fx.driver.advanceWallClockTime(Duration.ofSeconds(40));
      fx.punctuate(3);
      assertThat(fx.durable().meta("auto-old")).isNull();
      assertThat(fx.durable().meta("t/acme/auto-old")).isNull();
      assertThat(fx.durable().meta("auto-recent")).isNotNull();
      assertThat(fx.durable().meta("named"))
          .as("named conversations keep conversation.idle.expiry.ms (off)")
          .isNotNull();
      assertThat(fx.metrics.count("finchstream.events", "type", "expired")).isEqualTo(2.0);
    }
  }
}
