package io.finchstream.engine;

import java.util.List;

/**
 * A loaded model: immutable, shared by all threads and all conversations. Everything mutable lives
 * in {@link ModelState}, one per conversation.
 *
 * <p>Determinism contract (tested): for every state, the logits and the state after any sequence of
 * calls are bit-identical whatever the batch composition (which other states are in the same call),
 * whatever the chunking of the tokens (A then B equals A+B in one call), and whatever the number of
 * threads. So {@code step(s, t)} is bit-identical to {@code ingest(s, [t])} followed by {@code
 * logits(s)}.
 */
public interface LanguageModel {

  /** Architecture, sizes and costs of this model. */
  ModelInfo info();

  /** The empty state: what a new conversation starts from. */
  ModelState newState();

  /**
   * Rebuilds a state from its durable form: {@link ModelState#recurrentBytes()} plus the blocks of
   * its {@link TokenCache} (empty for models without a cache), in block order.
   *
   * @throws EngineException when the bytes are corrupt, of another version, or of another model
   */
  ModelState restoreState(byte[] recurrent, List<byte[]> cacheBlocks);

  /**
   * Rebuilds a state from its recurrent bytes, taking its token cache from {@code later}: a state
   * of the same history at or past the restored position (the hot state a rewind goes back from).
   * The cache is cut at the restored position (later entries dropped, the partial block copied) and
   * keeps what it had computed, so going back costs O(1) in the length of the conversation instead
   * of rebuilding the cache. Equal to {@link #restoreState} with the cache's own blocks. A model
   * without a cache restores from the bytes alone.
   *
   * @throws EngineException when the bytes are corrupt, or {@code later} is of another model or
   *     behind the restored position
   */
  default ModelState restoreState(final byte[] recurrent, final ModelState later) {
    return restoreState(recurrent, List.of());
  }

  /**
   * Advances every state by its own tokens (prefill); computes no logits. {@code tokens.get(i)}
   * belongs to {@code states.get(i)}; a state may appear only once per call.
   *
   * @throws EngineException when a token id is out of range (no state is changed then)
   */
  void ingest(List<? extends ModelState> states, List<int[]> tokens);

  /**
   * The next-token logits of every state, after the last token it ingested, into {@code out[i]}
   * (length {@code info().vocabSize()}). A state that has ingested nothing gets the logits of an
   * empty context, which is not defined by the model; callers should not ask for it.
   */
  void logits(List<? extends ModelState> states, float[][] out);

  /** Decode step: each state ingests one token and its next-token logits go to {@code out[i]}. */
  void step(List<? extends ModelState> states, int[] tokens, float[][] out);
}
