package io.finchstream.processors.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.event.EventValidator;
import io.finchstream.processors.testing.DurableState;
import io.finchstream.processors.testing.Events;
import io.finchstream.processors.testing.Fingerprint;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.processors.testing.TopologyFixture;
import io.finchstream.processors.testing.Transcript;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.Role;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every message boundary is a turn checkpoint: rewinding or forking to a retained one gives exactly
 * the state of a direct replay of the messages before it, costs only the replay since the nearest
 * snapshot, and a turn that is no longer retained is refused by name.
 */
class TurnCheckpointTest {

  private static final String[] QUESTIONS = {
    "What light through yonder window breaks?",
    "It is the east, and Juliet is the sun.",
    "Arise, fair sun, and kill the envious moon,",
    "Who is already sick and pale with grief,",
    "That thou her maid art far more fair than she.",
    "Be not her maid, since she is envious;"
  };

  @TempDir Path dir;

  private final LoadedModel model = TestModels.randomFinch();
  private final Tokenizer tok = model.tokenizer();

  /** A chat of {@code turns} question/reply pairs in {@code conversation}; returns the oracle. */
  private Transcript chat(final TopologyFixture fx, final String conversation, final int turns) {
    Transcript t = new Transcript();
    for (int i = 0; i < turns; i++) {
      final String q = QUESTIONS[i % QUESTIONS.length];
      fx.send(conversation, Events.appendText(q, Role.ROLE_USER));
      t = t.text(tok, Role.ROLE_USER, q);
      final String id = conversation + "-r" + i;
      fx.send(conversation, Events.reply(id, 12 + i % 5));
      fx.settle();
      t = t.reply(tok.encode("Assistant:"), tokens(fx.replies(id)), done(fx.replies(id)).getText());
    }
    return t;
  }

  private void assertState(
      final TopologyFixture fx, final String conversation, final Transcript expected) {
    final DurableState durable = fx.durable();
    final ConversationMeta meta = durable.meta(conversation);
    assertThat(meta.getTokens())
        .as("tokens of %s", conversation)
        .isEqualTo(expected.position(expected.size()));
    assertThat(meta.getMessages()).as("messages of %s", conversation).isEqualTo(expected.size());
    assertThat(meta.getMessageDigest())
        .as("digest of %s", conversation)
        .isEqualTo(expected.digest());
    assertThat(Fingerprint.of(model.model(), durable.rebuild(model.model(), conversation)))
        .as("state of %s", conversation)
        .isEqualTo(Fingerprint.of(model.model(), expected.replay(model.model(), tok).state()));
  }

  @Test
  void shouldRewindAndForkToEveryRetainedTurnBitIdenticalToAReplayOfItsMessages() {
    try (TopologyFixture fx =
        new TopologyFixture(
            model, Map.of("checkpoint.recent.turns", 3, "checkpoint.spacing.tokens", 16), dir)) {
      final Transcript chat = chat(fx, "c", 6);
      final ConversationMeta meta = fx.durable().meta("c");
      final long first = meta.getFirstMessage();
      assertThat(meta.getSnapshotsCount()).isGreaterThan(3);
      for (long n = Math.max(first, 1) - 1; n <= chat.size(); n++) {
        fx.send("c", Events.forkAt("fork-" + n, n));
      }
      fx.settle();
      assertThat(fx.deadLetters()).isEmpty();
      for (int n = (int) Math.max(first, 1) - 1; n <= chat.size(); n++) {
        assertState(fx, "fork-" + n, chat.first(n));
      }
      // in place: back two turns, on with a new message, then back to the start
      fx.send("c", Events.rewind(chat.size() - 2));
      fx.send("c", Events.appendText("A new question?", Role.ROLE_USER));
      fx.settle();
      final Transcript edited =
          chat.first(chat.size() - 2).text(tok, Role.ROLE_USER, "A new question?");
      assertState(fx, "c", edited);
      fx.send("c", Events.rewind(0));
      fx.settle();
      assertState(fx, "c", new Transcript());
    }
  }

  @Test
  void shouldRegenerateTheLastReplyFromItsTurnWithoutRecomputingTheHistory() {
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      final Transcript chat = chat(fx, "c", 5);
      final double computedBefore = fx.metrics.count("finchstream.tokens.computed");
      final int last = chat.size() - 1;
      fx.send("c", Events.rewind(last));
      fx.send("c", Events.reply("again", 16));
      fx.settle();
      final int prefix = tok.encode("Assistant:").length;
      // the turn had a snapshot: only the prefix and the reply's last token are ingested
      assertThat(fx.metrics.count("finchstream.tokens.computed") - computedBefore)
          .isEqualTo(prefix + 1.0);
      final Transcript regenerated =
          chat.first(last)
              .reply(
                  tok.encode("Assistant:"),
                  tokens(fx.replies("again")),
                  done(fx.replies("again")).getText());
      assertThat(tokens(fx.replies("again")))
          .containsExactly(
              Arrays.copyOfRange(
                  chat.messages().get(last).tokens(),
                  prefix,
                  chat.messages().get(last).tokens().length));
      assertState(fx, "c", regenerated);
    }
  }

  @Test
  void shouldRefuseATurnThatIsNoLongerRetainedAndLeaveTheConversationAlone() {
    try (TopologyFixture fx =
        new TopologyFixture(
            model,
            Map.of(
                "checkpoint.recent.turns", 1,
                "checkpoint.older.snapshots", 0,
                "snapshot.interval.tokens", 100_000),
            dir)) {
      final Transcript chat = chat(fx, "c", 4);
      fx.send("c", Events.rewind(2));
      fx.send("c", Events.forkAt("d", 3));
      fx.send("c", Events.rewind(chat.size() + 1));
      fx.settle();
      assertThat(fx.deadLetters())
          .extracting(r -> r.value().getCode().name())
          .containsExactly("TURN_NOT_RETAINED", "TURN_NOT_RETAINED", "INVALID_PARAMETERS");
      assertThat(fx.replies()).filteredOn(Reply::hasError).hasSize(3);
      assertThat(fx.durable().meta("d")).isNull();
      assertState(fx, "c", chat);
      // the last turn and the empty conversation are always reachable
      fx.send("c", Events.forkAt("e", chat.size()));
      fx.send("c", Events.forkAt("f", 0));
      fx.settle();
      assertState(fx, "e", chat);
      assertThat(fx.durable().meta("f").getTokens()).isZero();
    }
  }

  @Test
  void shouldForkIntoItsOwnTreeOnTheSameTaskWithoutATransfer() {
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      final Transcript chat = chat(fx, "tree", 3);
      fx.send("tree", Events.forkAt("tree~b1", 3));
      fx.send("tree", Events.forkAt("other", 3));
      fx.send("tree~b1", Events.appendText("And then?", Role.ROLE_USER));
      fx.settle();
      assertThat(fx.metrics.count("finchstream.events", "type", "fork_local")).isEqualTo(1.0);
      assertThat(fx.metrics.count("finchstream.events", "type", "fork_installed")).isEqualTo(1.0);
      assertState(fx, "tree~b1", chat.first(3).text(tok, Role.ROLE_USER, "And then?"));
      assertState(fx, "other", chat.first(3));
      assertState(fx, "tree", chat);
      assertThat(fx.durable().meta("tree~b1").getForkedFrom()).isEqualTo("tree");
    }
  }

  @Test
  void shouldApplyAForkWaitingBehindAGenerationBeforeTheNewBranchsOwnEvents() {
    try (TopologyFixture fx = new TopologyFixture(model, Map.of("compute.budget.ms", 1), dir)) {
      fx.send("t", Events.appendText("Once upon a time", Role.ROLE_USER));
      fx.send("t", Events.generateGreedy("long", 300));
      for (int i = 0; i < 1000 && fx.replies("long").isEmpty(); i++) {
        fx.punctuate(1);
      }
      // the fork waits for the generation; the branch's next event must wait for the fork
      fx.send("t", Events.forkAt("t~b", 1));
      fx.send("t~b", Events.appendText("there was a finch.", Role.ROLE_USER));
      fx.settle();
      assertThat(fx.deadLetters()).isEmpty();
      final Transcript base = new Transcript().text(tok, Role.ROLE_USER, "Once upon a time");
      assertState(fx, "t~b", base.text(tok, Role.ROLE_USER, "there was a finch."));
      assertThat(fx.durable().meta("t~b").getForkedFrom()).isEqualTo("t");
    }
  }

  @Test
  void shouldAnswerAnEphemeralGenerationAndLeaveTheConversationExactlyAsItWas() {
    try (TopologyFixture fx = new TopologyFixture(model, Map.of(), dir)) {
      final Transcript chat = chat(fx, "doc", 2);
      final ConversationMeta before = fx.durable().meta("doc");
      final String question = "\n\nQuestion: who speaks?\nAnswer:";
      fx.send("doc", Events.ephemeral("q1", question, 20, 5));
      fx.send("doc", Events.ephemeral("q2", question, 20, 5));
      fx.settle();
      final var direct = chat.replay(model.model(), tok).fork().appendText(question);
      final var expected =
          direct.generate(
              EventValidator.samplingParams(
                      Events.ephemeral("q1", question, 20, 5).getGenerate(), 20, 5)
                  .build());
      assertThat(tokens(fx.replies("q1"))).containsExactly(expected.tokens());
      assertThat(tokens(fx.replies("q2"))).containsExactly(expected.tokens());
      assertThat(done(fx.replies("q1")).getUsage().getConversationTokens())
          .isEqualTo(before.getTokens());
      final ConversationMeta after = fx.durable().meta("doc");
      assertThat(after.getTokens()).isEqualTo(before.getTokens());
      assertThat(after.getMessages()).isEqualTo(before.getMessages());
      assertThat(after.getMessageDigest()).isEqualTo(before.getMessageDigest());
      assertThat(fx.durable().logEntries("doc"))
          .allSatisfy(e -> assertThat(e.end()).isLessThanOrEqualTo(before.getTokens()));
      assertState(fx, "doc", chat);
    }
  }

  @Test
  void shouldBoundSnapshotsTheLogAndTheCheckpointsByTheRetentionPolicy() {
    final int recent = 2;
    final int older = 3;
    final int spacing = 32;
    try (TopologyFixture fx =
        new TopologyFixture(
            model,
            Map.of(
                "checkpoint.recent.turns", recent,
                "checkpoint.older.snapshots", older,
                "checkpoint.spacing.tokens", spacing),
            dir)) {
      Transcript t = new Transcript();
      for (int i = 0; i < 60; i++) {
        final String text = QUESTIONS[i % QUESTIONS.length];
        fx.send("long", Events.appendText(text, Role.ROLE_USER));
        t = t.text(tok, Role.ROLE_USER, text);
        if (i % 7 == 0) {
          fx.settle();
        }
      }
      fx.settle();
      final ConversationMeta meta = fx.durable().meta("long");
      assertThat(meta.getSnapshotsCount()).isBetween(recent, 1 + recent + older);
      final long oldest = meta.getSnapshots(0).getPosition();
      final long behind = meta.getTokens() - oldest;
      // older snapshots live in bands up to spacing * 2^older tokens behind the end (or the recent
      // turns reach further)
      assertThat(behind)
          .isLessThanOrEqualTo(
              Math.max(spacing << older, t.position(60) - t.position(60 - recent)));
      assertThat(fx.durable().logEntries("long"))
          .allSatisfy(e -> assertThat(e.end()).isGreaterThan(oldest));
      assertThat(meta.getFirstMessage()).isPositive();
      assertState(fx, "long", t);
      final Map<Long, Boolean> seen = new HashMap<>();
      for (int n = (int) meta.getFirstMessage() + 1; n <= 60; n++) {
        fx.send("long", Events.forkAt("copy-" + n, n));
        seen.put((long) n, true);
      }
      fx.settle();
      assertThat(fx.deadLetters()).isEmpty();
      for (final long n : seen.keySet()) {
        assertState(fx, "copy-" + n, t.first((int) n));
      }
    }
  }

  @Test
  void shouldDeleteAGeneratingConversationAtOnceCancellingItsGenerations() {
    try (TopologyFixture fx = new TopologyFixture(model, Map.of("compute.budget.ms", 1), dir)) {
      fx.send("c", Events.appendText("Tell me everything.", Role.ROLE_USER));
      fx.send("c", Events.generateGreedy("long", 2000));
      for (int i = 0; i < 1000 && fx.replies("long").isEmpty(); i++) {
        fx.punctuate(1);
      }
      fx.send("c", Events.generateGreedy("waiting", 5));
      fx.send("c", Events.delete());
      fx.settle();
      assertThat(done(fx.replies("long")).getFinishReason())
          .isEqualTo(FinishReason.FINISH_REASON_CANCELLED);
      assertThat(done(fx.replies("waiting")).getFinishReason())
          .isEqualTo(FinishReason.FINISH_REASON_CANCELLED);
      assertThat(fx.durable().meta("c")).isNull();
      assertThat(fx.durable().logEntries("c")).isEmpty();
    }
  }

  static GenerationDone done(final List<Reply> replies) {
    return replies.stream().filter(Reply::hasDone).map(Reply::getDone).findFirst().orElseThrow();
  }

  static int[] tokens(final List<Reply> replies) {
    return replies.stream()
        .filter(Reply::hasChunk)
        .flatMap(r -> r.getChunk().getTokenIdsList().stream())
        .mapToInt(Integer::intValue)
        .toArray();
  }
}
