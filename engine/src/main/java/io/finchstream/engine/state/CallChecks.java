package io.finchstream.engine.state;

import io.finchstream.engine.EngineException;
import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The argument checks of the {@link LanguageModel} calls, shared by Finch and GoldFinch: each
 * failure is an {@link EngineException} saying what is wrong, thrown before any state changes.
 */
public final class CallChecks {

  private CallChecks() {}

  /**
   * The states as the model's own type: each one of {@code type} that {@code ours} accepts, none
   * twice in the call.
   *
   * @param model the model in messages, e.g. "Finch model (L=2 ..., id ...)"
   */
  public static <S extends ModelState> S[] states(
      final List<? extends ModelState> states,
      final Class<S> type,
      final Predicate<? super S> ours,
      final Supplier<String> model,
      final IntFunction<S[]> array) {
    if (states == null) {
      throw new EngineException("states must not be null");
    }
    final S[] out = array.apply(states.size());
    final IdentityHashMap<ModelState, Boolean> seen = new IdentityHashMap<>();
    for (int i = 0; i < out.length; i++) {
      final ModelState state = states.get(i);
      if (!type.isInstance(state) || !ours.test(type.cast(state))) {
        throw new EngineException(
            "state "
                + i
                + " ("
                + state
                + ") does not belong to this "
                + model.get()
                + "; create it with newState() or restoreState()");
      }
      if (seen.put(state, Boolean.TRUE) != null) {
        throw new EngineException(
            "state " + i + " appears twice in one call; a state may appear only once");
      }
      out[i] = type.cast(state);
    }
    return out;
  }

  /** The token lists of an ingest into {@code states} states, each checked by {@link #tokens}. */
  public static int[][] tokenLists(final List<int[]> tokens, final int states, final int vocab) {
    if (tokens == null || tokens.size() != states) {
      throw new EngineException(
          "ingest: "
              + states
              + " states but "
              + (tokens == null ? "no" : Integer.toString(tokens.size()))
              + " token lists");
    }
    final int[][] input = tokens.toArray(new int[0][]);
    for (int i = 0; i < input.length; i++) {
      tokens(input[i], i, vocab);
    }
    return input;
  }

  /** Token list {@code input} of an ingest: not null, every id in {@code [0, vocab)}. */
  public static void tokens(final int[] tokens, final int input, final int vocab) {
    if (tokens == null) {
      throw new EngineException("ingest: token list " + input + " is null");
    }
    for (int j = 0; j < tokens.length; j++) {
      if (tokens[j] < 0 || tokens[j] >= vocab) {
        throw new EngineException(
            "token "
                + tokens[j]
                + " at index "
                + j
                + " of input "
                + input
                + " is out of range: this model's vocabulary has ids 0.."
                + (vocab - 1)
                + "; no state was changed");
      }
    }
  }

  /** The tokens of a step into {@code states} states, one per state, as one-token lists. */
  public static int[][] stepTokens(final int[] tokens, final int states) {
    if (tokens == null || tokens.length != states) {
      throw new EngineException(
          "step: "
              + states
              + " states but "
              + (tokens == null ? "no" : Integer.toString(tokens.length))
              + " tokens");
    }
    final int[][] single = new int[tokens.length][];
    for (int i = 0; i < tokens.length; i++) {
      single[i] = new int[] {tokens[i]};
    }
    return single;
  }

  /** One output row per state (their lengths unchecked). */
  private static void outputRows(final float[][] out, final int states, final String call) {
    if (out == null || out.length != states) {
      throw new EngineException(
          call
              + ": "
              + states
              + " states but "
              + (out == null ? "no" : Integer.toString(out.length))
              + " output rows");
    }
  }

  /** One output row of {@code vocab} floats per state. */
  public static void outputs(
      final float[][] out, final int states, final int vocab, final String call) {
    outputRows(out, states, call);
    for (int i = 0; i < out.length; i++) {
      if (out[i] == null || out[i].length != vocab) {
        throw new EngineException(
            call + ": output row " + i + " must have the vocabulary size " + vocab);
      }
    }
  }
}
