/**
 * In-memory weights: {@link io.finchstream.engine.tensor.Matrix} in float32, bfloat16 or ggml Q8_0
 * block-scaled int8, {@code [out, in]} in the streaming {@link
 * io.finchstream.engine.tensor.PanelLayout}.
 */
package io.finchstream.engine.tensor;
