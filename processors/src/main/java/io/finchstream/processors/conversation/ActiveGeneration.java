package io.finchstream.processors.conversation;

import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.engine.sampling.StopMatcher;
import io.finchstream.engine.sampling.TokenCounts;
import io.finchstream.engine.tokenizer.StreamingDecoder;
import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.processors.event.EventValidator;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.GenerationProgress;

/**
 * The in-memory side of a running generation: sampling parameters, counts of generated tokens
 * (penalties and the draw index), the streaming UTF-8 decoder and the stop-string matcher, and what
 * this punctuation produced but has not yet stored and emitted. Everything here can be rebuilt
 * from the stored {@link GenerationProgress} and the generated tokens in the log ({@link #replay}),
 * which reproduces exactly the text already emitted.
 */
final class ActiveGeneration {

  final String conversation;
  GenerationProgress progress;
  final SamplingParams params;
  final TokenCounts counts = new TokenCounts();
  private final StreamingDecoder decoder;
  private final StopMatcher stops;
  /** The last token appended but not yet ingested by the state (-1: the state is at the log end). */
  int pendingToken = -1;
  /** Produced this punctuation, not yet stored / emitted. */
  final IntList newTokens = new IntList();
  final StringBuilder newText = new StringBuilder();
  /** Text emitted so far (for GenerationDone.text). */
  final StringBuilder fullText = new StringBuilder();
  FinishReason finished;
  boolean firstTokenSeen;

  ActiveGeneration(final String conversation, final GenerationProgress progress, final Tokenizer tokenizer) {
    this.conversation = conversation;
    this.progress = progress;
    this.params = EventValidator.samplingParams(progress.getRequest(), progress.getMaxTokens(), progress.getSeed()).build();
    this.decoder = new StreamingDecoder(tokenizer);
    this.stops = new StopMatcher(params.stopStrings());
    this.firstTokenSeen = progress.getGenerated() > 0;
  }

  /** Rebuilds counts, decoder and matcher from tokens already generated, emitted and stored. */
  void replay(final int[] generated) {
    for (final int t : generated) {
      counts.add(t);
      fullText.append(stops.push(decoder.push(t)).text());
    }
  }

  /** Takes the sampled {@code token}: a stop token ends the generation, any other is appended. */
  void accept(final int token) {
    if (params.isStopToken(token)) {
      finish(token == Tokenizer.END_OF_TEXT ? FinishReason.FINISH_REASON_END_OF_TEXT : FinishReason.FINISH_REASON_STOP, true);
      return;
    }
    counts.add(token);
    newTokens.add(token);
    pendingToken = token;
    final StopMatcher.Step step = stops.push(decoder.push(token));
    newText.append(step.text());
    if (step.stopped()) {
      finish(FinishReason.FINISH_REASON_STOP, false);
    } else if (counts.total() >= params.maxTokens()) {
      finish(FinishReason.FINISH_REASON_LENGTH, true);
    }
  }

  /** Ends the generation; {@code flush} emits the text the decoder and the matcher still hold. */
  void finish(final FinishReason reason, final boolean flush) {
    finished = reason;
    if (flush && !stops.stopped()) {
      final StopMatcher.Step tail = stops.push(decoder.finish());
      newText.append(tail.text());
      if (!tail.stopped()) {
        newText.append(stops.finish());
      }
    }
  }

  /** Tokens generated and stored so far, plus those of this punctuation. */
  int generatedTotal() {
    return counts.total();
  }

  /** A growable int array (no boxing in the per-token path). */
  static final class IntList {
    private int[] data = new int[16];
    private int size;

    void add(final int v) {
      if (size == data.length) {
        data = java.util.Arrays.copyOf(data, size * 2);
      }
      data[size++] = v;
    }

    int size() {
      return size;
    }

    int[] toArray() {
      return java.util.Arrays.copyOf(data, size);
    }

    void clear() {
      size = 0;
    }
  }
}
