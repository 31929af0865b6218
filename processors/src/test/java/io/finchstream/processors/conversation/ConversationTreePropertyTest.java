package io.finchstream.processors.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.event.EventValidator;
import io.finchstream.processors.testing.DirectEngine;
import io.finchstream.processors.testing.DurableState;
import io.finchstream.processors.testing.Events;
import io.finchstream.processors.testing.Fingerprint;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.processors.testing.TopologyFixture;
import io.finchstream.processors.testing.Transcript;
import io.finchstream.proto.ConversationKeys;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.Role;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

/**
 * Property: whatever random sequence of appends, generations, cancels, rewinds, forks at a turn,
 * ephemeral questions, deletes and restarts a set of conversations goes through, after every step
 * each conversation's state of record equals a direct engine replay of its visible messages (bit
 * for bit), its stored transcript (checkpoints and texts) equals the expected one, and a turn is
 * refused as no longer retained only when it is older than the conversation keeps.
 */
class ConversationTreePropertyTest {

  private static final String[] TEXTS = {
    "Hello", "What is a finch?", "é ü 中文 🙂", "", "Tell me more, please.", "x".repeat(40)
  };

  @TempDir Path dir;

  private final LoadedModel model = TestModels.randomFinch();
  private final Tokenizer tok = model.tokenizer();

  @ParameterizedTest(name = "seed {0}, hot cache {1} bytes")
  @CsvSource({"1, 67108864", "2, 1"})
  void shouldKeepEveryConversationEqualToAReplayOfItsVisibleMessages(
      final long seed, final long hotCacheBytes) {
    final Random random = new Random(seed);
    // Restarts copy the committed stores aside and back (TopologyFixture.restart); under
    // exactly-once a store without the checkpoint file of a clean close counts as corrupt and is
    // wiped, so the driver runs at-least-once here (ExactlyOnceCrashTest covers exactly-once).
    final Map<String, Object> config =
        Map.of(
            "streams.processing.guarantee", "at_least_once",
            "hot.cache.max.bytes", hotCacheBytes,
            "checkpoint.recent.turns", 2,
            "checkpoint.older.snapshots", 2,
            "checkpoint.spacing.tokens", 16,
            "snapshot.interval.tokens", 48,
            "batch.max.tokens", 13,
            "compute.budget.ms", 2);
    final Map<String, Transcript> expected = new LinkedHashMap<>();
    final List<String> roots = List.of("a", "b", "c", "d");
    int forks = 0;
    final Map<String, Integer> done = new LinkedHashMap<>();
    try (TopologyFixture fx = new TopologyFixture(model, config, dir)) {
      for (int step = 0; step < 75; step++) {
        final List<String> ids = new ArrayList<>(expected.keySet());
        final String id =
            ids.isEmpty() || random.nextInt(4) == 0
                ? roots.get(random.nextInt(roots.size()))
                : ids.get(random.nextInt(ids.size()));
        final Transcript t = expected.getOrDefault(id, new Transcript());
        final int op = random.nextInt(100);
        if (op < 30) {
          final String text = TEXTS[random.nextInt(TEXTS.length)];
          final Role role = Role.forNumber(1 + random.nextInt(4));
          fx.send(id, Events.appendText(text, role));
          expected.put(id, t.text(tok, role, text));
        } else if (op < 38) {
          final int[] ids2 = random.ints(1 + random.nextInt(12), 1, 256).toArray();
          fx.send(id, Events.appendTokens(ids2));
          expected.put(id, t.tokens(ids2));
        } else if (op < 58 && t.size() > 0) {
          expected.put(id, generate(fx, id, t, step, random, done));
        } else if (op < 64 && t.size() > 0) {
          askEphemeral(fx, id, t, step, random);
          done.merge("ephemeral", 1, Integer::sum);
        } else if (op < 76 && expected.containsKey(id)) {
          final int n = turn(t, random);
          final ConversationMeta before = fx.durable().meta(id);
          final int dead = fx.deadLetters().size();
          fx.send(id, Events.rewind(n));
          fx.settle();
          if (fx.deadLetters().size() > dead) {
            assertRefusedBecauseOld(fx, before, n);
            done.merge("refused", 1, Integer::sum);
          } else {
            expected.put(id, t.first(n));
            done.merge("rewind", 1, Integer::sum);
          }
        } else if (op < 86 && expected.containsKey(id)) {
          final int n = turn(t, random);
          final String target =
              random.nextBoolean()
                  ? ConversationKeys.root(id) + "~f" + forks++
                  : roots.get(random.nextInt(roots.size())) + "-f" + forks++;
          final ConversationMeta before = fx.durable().meta(id);
          final int dead = fx.deadLetters().size();
          fx.send(id, Events.forkAt(target, n));
          fx.settle();
          if (fx.deadLetters().size() > dead) {
            assertRefusedBecauseOld(fx, before, n);
            done.merge("refused", 1, Integer::sum);
          } else {
            expected.put(target, t.first(n));
            done.merge("fork", 1, Integer::sum);
          }
        } else if (op < 91 && expected.containsKey(id)) {
          fx.send(id, Events.delete());
          expected.remove(id);
          done.merge("delete", 1, Integer::sum);
        } else if (op < 96) {
          fx.restart();
          done.merge("restart", 1, Integer::sum);
        } else {
          fx.punctuate(1 + random.nextInt(3));
        }
        fx.settle();
        verify(fx, expected, step);
      }
      assertThat(fx.metrics.count("finchstream.snapshots")).isPositive();
    }
    LoggerFactory.getLogger(ConversationTreePropertyTest.class)
        .info("seed {}: steps done {}", seed, done);
    assertThat(done)
        .as("every kind of step ran (seed %d)", seed)
        .containsKeys("generate", "rewind", "fork", "restart");
  }

  /** A turn to go back to: mostly one of the last few, sometimes any (maybe no longer retained). */
  private static int turn(final Transcript t, final Random random) {
    return random.nextBoolean()
        ? t.size() - random.nextInt(Math.min(t.size(), 4) + 1)
        : random.nextInt(t.size() + 1);
  }

  /** A generation, maybe cancelled mid-way; returns the transcript with its reply. */
  private Transcript generate(
      final TopologyFixture fx,
      final String id,
      final Transcript t,
      final int step,
      final Random random,
      final Map<String, Integer> ran) {
    final String request = id + "-g" + step;
    final boolean greedy = random.nextBoolean();
    final boolean prefixed = random.nextBoolean();
    final int maxTokens = 3 + random.nextInt(20);
    final Generate.Builder g = Generate.newBuilder().setRequestId(request).setMaxTokens(maxTokens);
    if (prefixed) {
      g.setPrefixText("Assistant:");
    }
    if (greedy) {
      g.setSampling(io.finchstream.proto.v1.SamplingParams.newBuilder().setTemperature(0f));
    } else {
      g.setSampling(
          io.finchstream.proto.v1.SamplingParams.newBuilder()
              .setTemperature(1f)
              .setTopP(0.9f)
              .setSeed(step));
    }
    final Generate generate = g.build();
    fx.send(id, Events.generate(generate));
    final int interruption = random.nextInt(6);
    if (interruption == 0) {
      fx.punctuate(random.nextInt(4));
      fx.send(id, Events.cancel(request));
      ran.merge("cancel", 1, Integer::sum);
    } else if (interruption == 1) {
      fx.punctuate(1 + random.nextInt(3));
      fx.restart(); // mid-generation: the new processor resumes it at the next token
      ran.merge("restart mid-generation", 1, Integer::sum);
    }
    ran.merge("generate", 1, Integer::sum);
    fx.settle();
    final List<Reply> replies = fx.replies(request);
    final GenerationDone done =
        replies.stream().filter(Reply::hasDone).map(Reply::getDone).findFirst().orElseThrow();
    final int[] tokens =
        replies.stream()
            .filter(Reply::hasChunk)
            .flatMap(r -> r.getChunk().getTokenIdsList().stream())
            .mapToInt(Integer::intValue)
            .toArray();
    final int[] prefix = prefixed ? tok.encode("Assistant:") : new int[0];
    final DirectEngine direct = t.replay(model.model(), tok);
    if (prefix.length > 0) {
      direct.append(prefix);
    }
    final SamplingParams params =
        EventValidator.samplingParams(
                generate,
                maxTokens,
                greedy ? EventValidator.seedOf(request) : generate.getSampling().getSeed())
            .build();
    final DirectEngine.Generation full = direct.generate(params);
    if (done.getFinishReason() == FinishReason.FINISH_REASON_CANCELLED) {
      assertThat(Arrays.copyOf(full.tokens(), Math.min(tokens.length, full.tokens().length)))
          .as("a cancelled reply is a prefix of the whole one")
          .containsExactly(tokens);
    } else {
      assertThat(tokens).as("reply of %s", request).containsExactly(full.tokens());
      assertThat(done.getText()).isEqualTo(full.text());
    }
    return t.reply(prefix, tokens, done.getText());
  }

  /** An ephemeral question: answered from a copy, the conversation left alone. */
  private void askEphemeral(
      final TopologyFixture fx,
      final String id,
      final Transcript t,
      final int step,
      final Random random) {
    final String request = id + "-q" + step;
    final int maxTokens = 2 + random.nextInt(10);
    fx.send(id, Events.ephemeral(request, "\nQ:", maxTokens, step));
    fx.settle();
    final int[] tokens =
        fx.replies(request).stream()
            .filter(Reply::hasChunk)
            .flatMap(r -> r.getChunk().getTokenIdsList().stream())
            .mapToInt(Integer::intValue)
            .toArray();
    final DirectEngine direct = t.replay(model.model(), tok).appendText("\nQ:");
    final Generate g = Events.ephemeral(request, "\nQ:", maxTokens, step).getGenerate();
    assertThat(tokens)
        .as("ephemeral %s", request)
        .containsExactly(
            direct.generate(EventValidator.samplingParams(g, maxTokens, step).build()).tokens());
  }

  /** A refused turn: it is older than the oldest message the conversation keeps a record of. */
  private static void assertRefusedBecauseOld(
      final TopologyFixture fx, final ConversationMeta before, final int n) {
    final var last = fx.deadLetters().get(fx.deadLetters().size() - 1).value();
    assertThat(last.getCode().name()).isEqualTo("TURN_NOT_RETAINED");
    assertThat(n).isPositive();
    assertThat((long) n - 1).isLessThan(before.getFirstMessage());
  }

  private void verify(
      final TopologyFixture fx, final Map<String, Transcript> expected, final int step) {
    final DurableState durable = fx.durable();
    for (final Map.Entry<String, Transcript> e : expected.entrySet()) {
      final String id = e.getKey();
      final Transcript t = e.getValue();
      final ConversationMeta meta = durable.meta(id);
      if (t.size() == 0 && meta == null) {
        continue; // forked at 0 from a conversation... or never written: both are empty
      }
      assertThat(meta).as("metadata of %s at step %d", id, step).isNotNull();
      assertThat(meta.getTokens())
          .as("tokens of %s at step %d", id, step)
          .isEqualTo(t.position(t.size()));
      assertThat(meta.getMessages()).as("messages of %s at step %d", id, step).isEqualTo(t.size());
      assertThat(meta.getMessageDigest())
          .as("digest of %s at step %d", id, step)
          .isEqualTo(t.digest());
      assertThat(Fingerprint.of(model.model(), durable.rebuild(model.model(), id)))
          .as("state of %s at step %d", id, step)
          .isEqualTo(Fingerprint.of(model.model(), t.replay(model.model(), tok).state()));
      final List<DurableState.StoredMessage> stored = durable.messages(id);
      assertThat(stored)
          .as("records of %s at step %d", id, step)
          .hasSize((int) (t.size() - meta.getFirstMessage()));
      long position = t.position((int) meta.getFirstMessage());
      for (final DurableState.StoredMessage m : stored) {
        final Transcript.Message x = t.messages().get((int) m.index());
        assertThat(m.checkpoint().getStart())
            .as("start of %s[%d]", id, m.index())
            .isEqualTo(position);
        position += x.tokens().length;
        assertThat(m.checkpoint().getEnd()).as("end of %s[%d]", id, m.index()).isEqualTo(position);
        assertThat(m.text())
            .as("text of %s[%d]", id, m.index())
            .isEqualTo(x.text() == null ? "" : x.text());
        assertThat(m.checkpoint().getTokens()).isEqualTo(x.text() == null);
        assertThat(m.checkpoint().getDigest()).isEqualTo(t.first((int) m.index() + 1).digest());
      }
    }
    for (final String root : List.of("a", "b", "c", "d")) {
      if (!expected.containsKey(root)) {
        assertThat(durable.meta(root)).as("%s was deleted or never written", root).isNull();
      }
    }
    assertThat(
            fx.deadLetters().stream()
                .map(r -> r.value().getCode().name())
                .filter(c -> !c.equals("TURN_NOT_RETAINED")))
        .as("dead letters at step %d", step)
        .isEmpty();
    assertThat(Arrays.asList(fx.replies().stream().filter(Reply::hasError).toArray()))
        .allSatisfy(
            r ->
                assertThat(((Reply) r).getError().getCode().name()).isEqualTo("TURN_NOT_RETAINED"));
  }
}
