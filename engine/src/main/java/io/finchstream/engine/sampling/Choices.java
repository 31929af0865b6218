package io.finchstream.engine.sampling;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code n} continuations of one prompt (OpenAI's {@code n}): the prompt is prefilled once, its
 * state forked {@code n} times in memory (a recurrent state copies in O(state), whatever the
 * prompt's length), and the continuations decode together: one {@link LanguageModel#logits} call
 * (on the first fork) for the first token of all of them, then one batched {@link
 * LanguageModel#step} per token for those still running. The prompt's state is not touched.
 *
 * <p><b>Seeds.</b> Choice {@code i} draws with seed {@link #seed(long, int) seed(s, i)} = {@code s
 * + i·γ} (mod 2^64, γ = 0x9E3779B97F4A7C15, SplitMix64's increment): choice 0 uses the request's
 * seed itself, so {@code n = 1} and choice 0 of any {@code n} are the same reply. Since the
 * engine's logits do not depend on the batch, choice {@code i} is bit for bit the reply a single
 * generation with seed {@code seed(s, i)} gives from the same prompt state.
 *
 * <p>Each choice has its own {@link Generation} (counts, penalties, stop rules, constraint: a copy
 * of the one given, at the start of the output). Not thread-safe.
 */
public final class Choices {

  /** Most choices per request (OpenAI's bound for {@code n}). */
  public static final int MAX_CHOICES = 128;

  /**
   * One step of one choice.
   *
   * @param choice the choice's index
   * @param token the token drawn (a stop token included, though it adds no text)
   * @param text the text this token released (possibly empty)
   * @param logprobs its log probabilities, or null when not asked
   * @param finish why the choice ended with this token, or null while it runs
   */
  public record Step(
      int choice, int token, String text, TokenLogprobs logprobs, Generation.Finish finish) {}

  private final LanguageModel model;
  private final List<ModelState> states = new ArrayList<>();
  private final List<Generation> generations = new ArrayList<>();
  private final int[] pending; // the last token of each choice, not yet ingested; -1: none
  private final float[][] rows; // (n, V) logits
  private boolean started;

  /**
   * Forks {@code prompt} into {@code n} choices.
   *
   * @param model the model
   * @param tokenizer decodes the tokens
   * @param prompt the state after the prompt (not modified)
   * @param params the request's parameters; choice {@code i} gets seed {@link #seed(long, int)}
   * @param n choices, in {@code [1, }{@value #MAX_CHOICES}{@code ]}
   * @param constraint the output's constraint at its start, copied for every choice; or null
   * @throws InvalidParameterException naming {@code n} or the first bad parameter
   */
  public Choices(
      final LanguageModel model,
      final Tokenizer tokenizer,
      final ModelState prompt,
      final SamplingParams params,
      final int n,
      final TokenConstraint constraint) {
    if (n < 1 || n > MAX_CHOICES) {
      throw new InvalidParameterException("n", "in [1, " + MAX_CHOICES + "]", n);
    }
    this.model = model;
    for (int i = 0; i < n; i++) {
      generations.add(
          new Generation(
              tokenizer,
              params.toBuilder().seed(seed(params.seed(), i)).build(),
              constraint == null ? null : constraint.copy()));
      states.add(prompt.copy());
    }
    this.pending = new int[n];
    Arrays.fill(pending, -1);
    this.rows = new float[n][model.info().vocabSize()];
  }

  /** The seed of choice {@code index} for request seed {@code seed}: {@code seed + index·γ}. */
  public static long seed(final long seed, final int index) {
    return seed + CounterRandom.GOLDEN_GAMMA * index;
  }

  /** Number of choices. */
  public int size() {
    return generations.size();
  }

  /** Whether every choice has ended. */
  public boolean done() {
    for (final Generation g : generations) {
      if (!g.ended()) {
        return false;
      }
    }
    return true;
  }

  /** The bookkeeping of choice {@code i}. */
  public Generation generation(final int i) {
    return generations.get(i);
  }

  /** The state of choice {@code i} (its tokens so far ingested, but for the last one). */
  public ModelState state(final int i) {
    return states.get(i);
  }

  /**
   * Advances every running choice by one token: one engine call for all of them, then one draw
   * each.
   *
   * @return the step of every choice that was running, in choice order
   * @throws EngineException when every choice has ended already
   */
  public List<Step> step(final Sampler sampler) {
    if (done()) {
      throw new EngineException("every choice has ended");
    }
    final List<Integer> running = new ArrayList<>();
    for (int i = 0; i < size(); i++) {
      if (!generations.get(i).ended()) {
        running.add(i);
      }
    }
    if (!started) {
      final float[][] first = new float[1][];
      first[0] = rows[0];
      model.logits(List.of(states.get(0)), first); // the same bits for every fork
      for (int i = 1; i < size(); i++) {
        System.arraycopy(rows[0], 0, rows[i], 0, rows[0].length);
      }
      started = true;
    } else {
      final List<ModelState> batch = new ArrayList<>(running.size());
      final int[] tokens = new int[running.size()];
      final float[][] out = new float[running.size()][];
      for (int k = 0; k < running.size(); k++) {
        final int i = running.get(k);
        batch.add(states.get(i));
        tokens[k] = pending[i];
        out[k] = rows[i];
      }
      model.step(batch, tokens, out);
    }
    final List<Step> steps = new ArrayList<>(running.size());
    for (final int i : running) {
      final Generation g = generations.get(i);
      final Generation.Sample s = g.draw(sampler, rows[i]);
      final String text = g.accept(s.token());
      pending[i] = s.token();
      steps.add(new Step(i, s.token(), text, s.logprobs(), g.ended() ? g.finish() : null));
    }
    return steps;
  }
}
