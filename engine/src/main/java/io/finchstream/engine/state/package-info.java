/**
 * What Finch and GoldFinch share about conversation states: the durable format's header ({@link
 * io.finchstream.engine.state.StateFormat}: magic, version, WKV precision, model id, dimensions)
 * with the writer and reader of the little-endian body (float32 vectors, WKV matrices in float32 or
 * bfloat16), copying of per-layer rows, and the argument checks of the {@link
 * io.finchstream.engine.LanguageModel} calls ({@link io.finchstream.engine.state.CallChecks}). Each
 * architecture's codec lays out its own body with them.
 */
package io.finchstream.engine.state;
