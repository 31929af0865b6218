package io.finchstream.processors.conversation;

import io.finchstream.engine.ModelState;
import io.finchstream.engine.sampling.Generation;
import io.finchstream.engine.sampling.Sampler;
import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.processors.event.EventValidator;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.GenerationProgress;

/**
 * The part of a running generation that decode cycles advance: the engine's {@link Generation}
 * (draws, counts, streaming decode, stop rules), the conversation's pinned state, and the last
 * sampled token that is appended but not yet ingested. It belongs to one thread at a time: to the
 * stream thread between cycles, to the decode thread during one (handed over and back through the
 * cycle's future, so never shared). What a cycle draws it returns as {@link DecodeResult} values;
 * the stream thread stores them.
 */
final class Decoder {

  /** The conversation the generation belongs to. */
  final String conversation;

  /** Processing time the Generate was accepted (epoch ms), for the first-token metric. */
  final long acceptedAtMs;

  private final Generation generation;
  private ModelState state;
  private int pendingToken = -1;
  private boolean firstTokenSeen;

  /** A decoder for the stored generation {@code progress}. */
  Decoder(final String conversation, final GenerationProgress progress, final Tokenizer tokenizer) {
    this.conversation = conversation;
    this.acceptedAtMs = progress.getAcceptedAtMs();
    this.generation =
        new Generation(
            tokenizer,
            EventValidator.samplingParams(
                    progress.getRequest(), progress.getMaxTokens(), progress.getSeed())
                .build());
    this.firstTokenSeen = progress.getGenerated() > 0;
  }

  // ---- on the stream thread, between cycles -------------------------------------------------

  /**
   * Rebuilds the draws, counts, decoder and stop matcher from tokens already generated, emitted and
   * stored; returns the text they made (already emitted).
   */
  String replay(final int[] generated) {
    return generation.replay(generated);
  }

  /** Tokens the state lags behind the end of the log: 1 while a sampled token waits, else 0. */
  int lag() {
    return pendingToken >= 0 ? 1 : 0;
  }

  /** Decode from {@code state} (pinned by its owner) in the next cycle. */
  void bind(final ModelState state) {
    this.state = state;
  }

  /**
   * The state is not ready: batched ingest will compute it to the end, the waiting token included.
   */
  void unbind() {
    this.state = null;
    this.pendingToken = -1;
  }

  /** Ends the generation early: the text held back (an unfinished character, a partial stop). */
  String cancel() {
    state = null;
    return generation.flush();
  }

  // ---- on the decode thread, during a cycle -------------------------------------------------

  /** The state to advance. */
  ModelState state() {
    return state;
  }

  /** The sampled token the state has not ingested yet, or -1. */
  int pendingToken() {
    return pendingToken;
  }

  /**
   * Draws the next token from {@code logits} (of the state after its last token) and takes it: a
   * stop token ends the generation; any other is appended and waits to be ingested.
   */
  Draw draw(final Sampler sampler, final float[] logits) {
    pendingToken = -1;
    final int token = generation.sample(sampler, logits);
    final int before = generation.generated();
    final String text = generation.accept(token);
    final boolean appended = generation.generated() > before;
    if (appended) {
      pendingToken = token;
    }
    final boolean first = !firstTokenSeen;
    firstTokenSeen = true;
    return new Draw(appended ? token : -1, text, finish(), first);
  }

  private FinishReason finish() {
    if (!generation.ended()) {
      return null;
    }
    return switch (generation.finish()) {
      case STOP -> FinishReason.FINISH_REASON_STOP;
      case LENGTH -> FinishReason.FINISH_REASON_LENGTH;
      case END_OF_TEXT -> FinishReason.FINISH_REASON_END_OF_TEXT;
    };
  }

  /**
   * One draw.
   *
   * @param appended the token appended to the conversation, or -1 (a final stop token)
   * @param text text that became final with it
   * @param finished why the generation ended with this draw, or null
   * @param first whether this is the generation's first draw
   */
  record Draw(int appended, String text, FinishReason finished, boolean first) {}
}
