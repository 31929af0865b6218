package io.finchstream.engine;

import java.util.Map;

/**
 * What a loaded model is. {@code details} carries architecture-specific facts for {@code inspect}
 * (head count, LoRA ranks, layer split, ...), in insertion order.
 *
 * @param architecture "finch" or "goldfinch"
 * @param id stable fingerprint of the weights (same checkpoint, same id), used to refuse a stored
 *     state that belongs to another model
 * @param vocabSize rows of the head (logits per position)
 * @param layers number of blocks
 * @param dim embedding width C
 * @param parameters total parameter count
 * @param weightPrecision in-memory weight precision ("fp32" or "bf16")
 * @param recurrentStateBytes bytes of {@link ModelState#recurrentBytes()} at FP32
 * @param cacheBytesPerToken canonical cache bytes per token (0 for Finch)
 * @param memoryBytesPerToken bytes a state's memory grows by per token (canonical cache plus the
 *     derived data, {@link ModelState#memoryBytes()}; 0 for Finch, whose state has a fixed size)
 * @param details ordered, human-readable extra facts
 */
public record ModelInfo(
    String architecture,
    String id,
    int vocabSize,
    int layers,
    int dim,
    long parameters,
    String weightPrecision,
    long recurrentStateBytes,
    long cacheBytesPerToken,
    long memoryBytesPerToken,
    Map<String, String> details) {}
