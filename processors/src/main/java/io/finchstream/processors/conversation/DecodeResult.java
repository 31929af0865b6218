package io.finchstream.processors.conversation;

import io.finchstream.proto.v1.FinishReason;

/**
 * What one decode cycle produced for one generation: the tokens it appended and their text, and why
 * it ended (null if it goes on) or why it failed (null if it did not). Returned by the decode
 * thread; the generation's task stores and emits it.
 *
 * @param decoder the generation's decoder (returned to the stream thread with the result)
 * @param tokens tokens sampled and appended, in order
 * @param text their text (held-back bytes excluded)
 * @param finished why the generation ended, or null
 * @param failure the engine error that stopped it, or null
 */
@SuppressWarnings("ArrayRecordComponent") // read by index, never compared or hashed
record DecodeResult(
    Decoder decoder, int[] tokens, String text, FinishReason finished, RuntimeException failure) {

  /** Whether the cycle produced something to store or emit. */
  boolean holdsOutput() {
    return finished != null || failure != null || tokens.length > 0 || !text.isEmpty();
  }
}
