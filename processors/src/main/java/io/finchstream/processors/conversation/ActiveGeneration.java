package io.finchstream.processors.conversation;

import io.finchstream.engine.ModelState;
import io.finchstream.engine.sampling.Generation;
import io.finchstream.engine.sampling.Sampler;
import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.processors.event.EventValidator;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.GenerationProgress;
import java.util.Arrays;

/**
 * The in-memory side of a running generation: the engine's {@link Generation} (draws, counts,
 * streaming decode, stop rules), the last token appended but not yet ingested, and what this
 * punctuation produced but has not yet stored and emitted. Everything here can be rebuilt from the
 * stored {@link GenerationProgress} and the generated tokens in the log ({@link #replay}), which
 * reproduces exactly the text already emitted.
 */
final class ActiveGeneration {

  final String conversation;

  /** Replaced by the stream thread (cancel) while a decode cycle may read it. */
  volatile GenerationProgress progress;

  private final Generation generation;

  /**
   * The last token appended but not yet ingested by the state (-1: the state is at the log end).
   */
  int pendingToken = -1;

  /** Produced this punctuation, not yet stored / emitted. */
  final IntList newTokens = new IntList();

  final StringBuilder newText = new StringBuilder();

  /** Text emitted so far (for GenerationDone.text). */
  final StringBuilder fullText = new StringBuilder();

  FinishReason finished;
  boolean firstTokenSeen;

  /** The conversation's (pinned) state while the generation is offered to a decode cycle. */
  ModelState state;

  /**
   * The generation advances the conversation's state itself (set by the stream thread once the
   * prefill is done); batched ingest leaves the conversation alone, also while a decode cycle runs.
   */
  boolean ownsState;

  ActiveGeneration(
      final String conversation, final GenerationProgress progress, final Tokenizer tokenizer) {
    this.conversation = conversation;
    this.progress = progress;
    this.generation =
        new Generation(
            tokenizer,
            EventValidator.samplingParams(
                    progress.getRequest(), progress.getMaxTokens(), progress.getSeed())
                .build());
    this.firstTokenSeen = progress.getGenerated() > 0;
  }

  /** Whether it produced something (or finished) that is not stored and emitted yet. */
  boolean holdsOutput() {
    return finished != null || newTokens.size() > 0 || newText.length() > 0;
  }

  /** Rebuilds the bookkeeping from tokens already generated, emitted and stored. */
  void replay(final int[] generated) {
    fullText.append(generation.replay(generated));
  }

  /** Draws the next token. */
  int sample(final Sampler sampler, final float[] logits) {
    return generation.sample(sampler, logits);
  }

  /** Takes the sampled {@code token}: a stop token ends the generation, any other is appended. */
  void accept(final int token) {
    final int before = generation.generated();
    newText.append(generation.accept(token));
    if (generation.generated() > before) {
      newTokens.add(token);
      pendingToken = token;
    }
    if (generation.ended()) {
      finished =
          switch (generation.finish()) {
            case STOP -> FinishReason.FINISH_REASON_STOP;
            case LENGTH -> FinishReason.FINISH_REASON_LENGTH;
            case END_OF_TEXT -> FinishReason.FINISH_REASON_END_OF_TEXT;
          };
    }
  }

  /** Ends the generation as cancelled; the text still held back is emitted with the last chunk. */
  void cancel() {
    newText.append(generation.flush());
    finished = FinishReason.FINISH_REASON_CANCELLED;
  }

  /** A growable int array (no boxing in the per-token path). */
  static final class IntList {
    private int[] data = new int[16];
    private int size;

    void add(final int v) {
      if (size == data.length) {
        data = Arrays.copyOf(data, size * 2);
      }
      data[size++] = v;
    }

    int size() {
      return size;
    }

    int[] toArray() {
      return Arrays.copyOf(data, size);
    }

    void clear() {
      size = 0;
    }
  }
}
