package io.finchstream.processors;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelInfo;
import io.finchstream.engine.ModelState;
import io.finchstream.processors.testing.Events;
import io.finchstream.processors.testing.TestModels;
import io.finchstream.processors.testing.TopologyFixture;
import io.finchstream.proto.v1.ErrorCode;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.Reply;
import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Engine faults (issue 14, item 8; reliability audit S2-3): an {@code EngineException} in a
 * generation (non-finite logits, a corrupt state, ...) must end that generation with an error reply
 * and leave the stream thread, the other conversations and the failing conversation itself usable.
 * The model here is the random test Finch behind a wrapper that fails every call on a state that
 * ingested the marker token.
 */
class EngineFaultTest {

  /** The token that poisons a state (a byte the test texts never contain). */
  private static final int POISON = 255;

  @TempDir Path dir;

  @Test
  void shouldEndAFailingGenerationWithAnErrorAndKeepEverythingElseGoing() {
    final FaultyModel faulty = new FaultyModel(TestModels.randomFinch().model());
    final LoadedModel model =
        new LoadedModel(faulty, TestModels.randomFinch().tokenizer(), "faulty random Finch");
    try (TopologyFixture t = new TopologyFixture(model, Map.of(), dir)) {
      t.send("good", Events.appendText("hello there"));
      t.send("good", Events.generateGreedy("g-good", 20));
      t.send("bad", Events.appendTokens(72, 105, POISON));
      t.send("bad", Events.generateGreedy("g-bad", 20));
      t.settle();

      final List<Reply> good = t.replies("g-good");
      assertThat(good).last().satisfies(r -> assertThat(r.hasDone()).isTrue());
      assertThat(good.get(good.size() - 1).getDone().getFinishReason())
          .isEqualTo(FinishReason.FINISH_REASON_LENGTH);
      final List<Reply> bad = t.replies("g-bad");
      assertThat(bad).as("replies of the failing generation").isNotEmpty();
      assertThat(bad.get(bad.size() - 1).hasError()).as("it ends with an error").isTrue();
      assertThat(bad.get(bad.size() - 1).getError().getCode()).isEqualTo(ErrorCode.INTERNAL);

      // The conversation stays usable once the engine works again.
      faulty.heal();
      t.send("bad", Events.appendText("and now?"));
      t.send("bad", Events.generateGreedy("g-bad-2", 5));
      t.settle();
      final List<Reply> again = t.replies("g-bad-2");
      assertThat(again).last().satisfies(r -> assertThat(r.hasDone()).isTrue());
    }
  }

  /** A model whose every call on a state that ingested {@link #POISON} fails, until healed. */
  static final class FaultyModel implements LanguageModel {
    private final LanguageModel model;
    private final Set<ModelState> poisoned = Collections.newSetFromMap(new IdentityHashMap<>());
    private volatile boolean healed;

    FaultyModel(final LanguageModel model) {
      this.model = model;
    }

    void heal() {
      healed = true;
    }

    private synchronized void check(final List<? extends ModelState> states) {
      if (!healed && states.stream().anyMatch(poisoned::contains)) {
        throw new EngineException("non-finite logits (test fault)");
      }
    }

    @Override
    public ModelInfo info() {
      return model.info();
    }

    @Override
    public ModelState newState() {
      return model.newState();
    }

    @Override
    public ModelState restoreState(final byte[] recurrent, final List<byte[]> cacheBlocks) {
      return model.restoreState(recurrent, cacheBlocks);
    }

    @Override
    public void ingest(final List<? extends ModelState> states, final List<int[]> tokens) {
      check(states);
      for (int i = 0; i < states.size(); i++) {
        for (final int token : tokens.get(i)) {
          if (token == POISON) {
            synchronized (this) {
              poisoned.add(states.get(i));
            }
          }
        }
      }
      model.ingest(states, tokens);
    }

    @Override
    public void logits(final List<? extends ModelState> states, final float[][] out) {
      check(states);
      model.logits(states, out);
    }

    @Override
    public void step(
        final List<? extends ModelState> states, final int[] tokens, final float[][] out) {
      check(states);
      model.step(states, tokens, out);
    }
  }
}
