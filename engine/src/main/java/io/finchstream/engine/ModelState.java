package io.finchstream.engine;

/**
 * The mutable per-conversation state of a {@link LanguageModel}. Not thread-safe: one conversation
 * is advanced by one thread at a time.
 *
 * <p>Its durable form is two parts: the fixed-size {@link #recurrentBytes() recurrent part}, whose
 * size does not depend on how long the conversation is, and an append-only {@link #cache() token
 * cache} (GoldFinch's compressed keys; empty for Finch), stored in fixed-size blocks so that an
 * append never rewrites old blocks.
 */
public interface ModelState {

  /** Tokens ingested since the empty state. */
  long position();

  /** An independent deep copy (fork a conversation). */
  ModelState copy();

  /**
   * The recurrent part, serialized compactly and versioned (fp32 unless {@link
   * #recurrentBytes(StatePrecision)}).
   */
  default byte[] recurrentBytes() {
    return recurrentBytes(StatePrecision.FP32);
  }

  /** The recurrent part at the given precision (BF16 rounds the large matrices; lossy). */
  byte[] recurrentBytes(StatePrecision precision);

  /** The append-only canonical cache; {@link TokenCache#EMPTY} for models without one. */
  TokenCache cache();

  /** Bytes this state occupies in memory (recurrent part + cache, including derived data). */
  long memoryBytes();

  /**
   * Bytes of {@link #memoryBytes()} that the model can rebuild from the durable parts (GoldFinch:
   * every GOLD layer's keys and values, which grow with the conversation); 0 for Finch.
   */
  default long derivedBytes() {
    return 0;
  }

  /**
   * Frees the derived data ({@link #derivedBytes()}); returns the bytes freed. The state stays
   * valid: the model rebuilds the data from the durable parts in the next call that needs it (for
   * GoldFinch, the next logits or step; about the cost of streaming the cache once more through the
   * cache writer), with bit-identical results.
   */
  default long dropDerived() {
    return 0;
  }
}
