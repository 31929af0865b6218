package io.finchstream.processors.testing;

import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.ModelState;
import io.finchstream.engine.sampling.Sampler;
import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.engine.sampling.StopMatcher;
import io.finchstream.engine.sampling.TokenCounts;
import io.finchstream.engine.tokenizer.StreamingDecoder;
import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.proto.v1.FinishReason;
import java.util.ArrayList;
import java.util.List;

/**
 * The oracle of the processor tests: one conversation driven straight through the engine, one call
 * per event, no Kafka, no batching, no snapshots. What the service computes must be bit-identical.
 */
public final class DirectEngine {

  /** What a direct generation produced. */
  @SuppressWarnings("ArrayRecordComponent") // read by index, never compared or hashed
  public record Generation(int[] tokens, String text, FinishReason reason) {}

  private final LanguageModel model;
  private final Tokenizer tokenizer;
  private ModelState state;
  private final List<Integer> history = new ArrayList<>();

  public DirectEngine(final LanguageModel model, final Tokenizer tokenizer) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.state = model.newState();
  }

  /** Ingests {@code tokens} (one engine call). */
  public DirectEngine append(final int... tokens) {
    model.ingest(List.of(state), List.of(tokens));
    for (final int t : tokens) {
      history.add(t);
    }
    return this;
  }

  /** Ingests {@code text} encoded as it is. */
  public DirectEngine appendText(final String text) {
    return append(tokenizer.encode(text));
  }

  /**
   * Generates like the service specifies: sample, stop on a stop token (not appended), otherwise
   * append and ingest the token; stop strings end it after the token that completes them.
   */
  public Generation generate(final SamplingParams params) {
    final Sampler sampler = new Sampler();
    final TokenCounts counts = new TokenCounts();
    final StreamingDecoder decoder = new StreamingDecoder(tokenizer);
    final StopMatcher stops = new StopMatcher(params.stopStrings());
    final float[][] logits = new float[1][model.info().vocabSize()];
    model.logits(List.of(state), logits);
    final List<Integer> out = new ArrayList<>();
    final StringBuilder text = new StringBuilder();
    FinishReason reason;
    while (true) {
      final int t = sampler.sample(logits[0], params, counts);
      if (params.isStopToken(t)) {
        reason = t == 0 ? FinishReason.FINISH_REASON_END_OF_TEXT : FinishReason.FINISH_REASON_STOP;
        flush(decoder, stops, text);
        break;
      }
      counts.add(t);
      out.add(t);
      history.add(t);
      model.step(List.of(state), new int[] {t}, logits);
      final StopMatcher.Step step = stops.push(decoder.push(t));
      text.append(step.text());
      if (step.stopped()) {
        reason = FinishReason.FINISH_REASON_STOP;
        break;
      }
      if (counts.total() >= params.maxTokens()) {
        reason = FinishReason.FINISH_REASON_LENGTH;
        flush(decoder, stops, text);
        break;
      }
    }
    return new Generation(
        out.stream().mapToInt(Integer::intValue).toArray(), text.toString(), reason);
  }

  private static void flush(
      final StreamingDecoder decoder, final StopMatcher stops, final StringBuilder text) {
    final StopMatcher.Step tail = stops.push(decoder.finish());
    text.append(tail.text());
    if (!tail.stopped()) {
      text.append(stops.finish());
    }
  }

  /** Back to the empty state. */
  public DirectEngine reset() {
    state = model.newState();
    history.clear();
    return this;
  }

  /** An independent copy (fork). */
  public DirectEngine fork() {
    final DirectEngine copy = new DirectEngine(model, tokenizer);
    copy.state = state.copy();
    copy.history.addAll(history);
    return copy;
  }

  public ModelState state() {
    return state;
  }

  /** Every token of the conversation so far. */
  public int[] history() {
    return history.stream().mapToInt(Integer::intValue).toArray();
  }
}
