/**
 * Building blocks shared by the checkpoint readers: memory-mapped byte ranges, dense tensors over
 * them, and shape-changing views (reshape, transpose) that present a stored tensor under its
 * canonical shape. Not for use outside {@code io.finchstream.engine.io}.
 */
package io.finchstream.engine.io.internal;
