/**
 * In-memory weights: {@link io.finchstream.engine.tensor.Matrix} in float32 or bfloat16, one Java
 * array per tensor, row-major {@code [out, in]}.
 */
package io.finchstream.engine.tensor;
