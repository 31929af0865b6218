package io.finchstream.processors.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.StoreNames;
import io.finchstream.processors.testing.DirectEngine;
import io.finchstream.processors.testing.Events;
import io.finchstream.processors.testing.Fingerprint;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.processors.testing.TopologyFixture;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.ReserveFork;
import io.finchstream.proto.v1.SamplingParams;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reservations of a fork's new id (reliability audit S1-1), in the topology alone: the new id's
 * events wait behind the reservation until the fork's transfer or abort, whatever order the
 * reservation and the transfer arrive in, and across a restart.
 */
class ForkReservationTest {

  @TempDir Path dir;

  @Test
  void eventsToAReservedIdWaitForTheForkEvenAcrossARestart() {
    final LoadedModel model = TestModels.tinyFinch();
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      fx.send("src", Events.appendText("the secret is 42. "));
      fx.send("src", Events.generate(longReply("g", 2000)));
      fx.punctuate(1); // the reply runs: the Fork waits behind it
      fx.send("src", reservedFork("dst", "fork-1"));
      fx.send("dst", reservation("src", "fork-1"));
      fx.send("dst", Events.appendText("next"));
      fx.punctuate(1);
      assertThat(fx.replies("g")).noneMatch(Reply::hasDone);
      assertThat(fx.durable().meta("dst")).isNull();
      fx.restart();
      fx.settle();
      final DirectEngine direct = new DirectEngine(model.model(), model.tokenizer());
      direct
          .appendText("the secret is 42. ")
          .append(generated(fx.replies(), "g"))
          .appendText("next");
      assertThat(fx.durable().meta("dst").getForkedFrom()).isEqualTo("src");
      assertThat(fx.durable().meta("dst").getMessages()).isEqualTo(3);
      assertThat(Fingerprint.of(model.model(), fx.durable().rebuild(model.model(), "dst")))
          .isEqualTo(Fingerprint.of(model.model(), direct.state()));
      assertThat(fx.deadLetters()).isEmpty();
    }
  }

  /**
   * The window CrossPartitionForkTest's restart case once closed its service in: the fork is
   * installed when its transfer arrives, and the events that waited behind the reservation are
   * applied at the next punctuation. A stop in between leaves a consistent new id (the source's
   * history, without the waiting message, which is still queued), and the next owner applies the
   * message: nothing is lost.
   */
  @Test
  void eventsThatWaitedForAForkAreAppliedByTheNextOwnerIfStoppedBeforeTheirDrain() {
    final LoadedModel model = TestModels.tinyFinch();
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      fx.send("src", Events.appendText("the secret is 42. "));
      fx.send("src", Events.generate(longReply("g", 300)));
      fx.punctuate(1); // the reply runs: the Fork waits behind it
      fx.send("src", reservedFork("dst", "fork-1"));
      fx.send("dst", reservation("src", "fork-1"));
      fx.send("dst", Events.appendText("next"));
      int punctuations = 0;
      while (fx.durable().meta("dst") == null) {
        assertThat(++punctuations)
            .as("punctuations until the fork is installed")
            .isLessThan(10_000);
        fx.punctuate(1);
      }
      final int reply = generated(fx.replies(), "g").length;
      assertThat(reply).isEqualTo(300);
      // installed, the message not yet applied: what the failed CI run read from the changelogs
      assertThat(fx.durable().meta("dst").getMessages()).isEqualTo(2);
      assertThat(fx.durable().meta("dst").getTokens())
          .isEqualTo("the secret is 42. ".length() + reply);
      try (var it = fx.driver.getKeyValueStore(StoreNames.DEFERRED).all()) {
        assertThat(it.hasNext()).as("the message still waits in the queue").isTrue();
      }
      fx.restart();
      fx.settle();
      final DirectEngine direct = new DirectEngine(model.model(), model.tokenizer());
      direct
          .appendText("the secret is 42. ")
          .append(generated(fx.replies(), "g"))
          .appendText("next");
      assertThat(fx.durable().meta("dst").getMessages()).isEqualTo(3);
      assertThat(fx.durable().meta("dst").getTokens()).isEqualTo(direct.history().length);
      assertThat(Fingerprint.of(model.model(), fx.durable().rebuild(model.model(), "dst")))
          .isEqualTo(Fingerprint.of(model.model(), direct.state()));
      try (var it = fx.driver.getKeyValueStore(StoreNames.DEFERRED).all()) {
        assertThat(it.hasNext()).isFalse();
      }
      assertThat(fx.deadLetters()).isEmpty();
    }
  }

  @Test
  void aForkRefusedByItsSourceReleasesTheReservation() {
    final LoadedModel model = TestModels.tinyFinch();
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      fx.send("ghost", reservedFork("dst", "fork-1")); // no such source
      fx.send("dst", reservation("ghost", "fork-1"));
      fx.send("dst", Events.appendText("next"));
      fx.settle();
      assertThat(fx.deadLetters())
          .singleElement()
          .satisfies(
              d -> assertThat(d.value().getCode()).isEqualTo(ErrorCode.UNKNOWN_CONVERSATION));
      assertThat(fx.durable().meta("dst").getTokens()).isEqualTo("next".length());
    }
  }

  @Test
  void aForkTheValidatorRefusesReleasesTheReservation() {
    final LoadedModel model = TestModels.tinyFinch();
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      fx.send("src", Events.appendText("the secret is 42. "));
      fx.send("src", reservedFork("dst", "fork-1").toBuilder().setSchemaVersion(99).build());
      fx.send("dst", reservation("src", "fork-1"));
      fx.send("dst", Events.appendText("next"));
      fx.settle();
      assertThat(fx.deadLetters())
          .singleElement()
          .satisfies(
              d -> assertThat(d.value().getCode()).isEqualTo(ErrorCode.UNSUPPORTED_SCHEMA_VERSION));
      assertThat(fx.durable().meta("dst").getTokens()).isEqualTo("next".length());
      // the abort came before the reservation: its marker made the reservation hold nothing
      try (var it = fx.driver.getKeyValueStore(StoreNames.FORK_SETTLED).all()) {
        assertThat(it.hasNext()).isFalse();
      }
    }
  }

  private static ConversationEvent reservedFork(final String target, final String eventId) {
    final ConversationEvent fork = Events.fork(target);
    return fork.toBuilder()
        .setEventId(eventId)
        .setFork(fork.getFork().toBuilder().setReserved(true))
        .build();
  }

  private static ConversationEvent reservation(final String source, final String forkEventId) {
    return ConversationEvent.newBuilder()
        .setSchemaVersion(1)
        .setReserveFork(
            ReserveFork.newBuilder().setSourceConversationId(source).setForkEventId(forkEventId))
        .build();
  }

  /** A sampled reply that never ends by itself (end of text is biased away): max tokens long. */
  private static Generate longReply(final String requestId, final int maxTokens) {
    return Generate.newBuilder()
        .setRequestId(requestId)
        .setMaxTokens(maxTokens)
        .setSampling(
            SamplingParams.newBuilder().setTemperature(1f).setSeed(7).putLogitBias(0, -100f))
        .build();
  }

  private static int[] generated(final List<Reply> replies, final String requestId) {
    return replies.stream()
        .filter(r -> r.getRequestId().equals(requestId) && r.hasChunk())
        .flatMap(r -> r.getChunk().getTokenIdsList().stream())
        .mapToInt(Integer::intValue)
        .toArray();
  }
}
