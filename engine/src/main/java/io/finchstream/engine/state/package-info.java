/**
 * What Finch and GoldFinch share about conversation states: the durable format's header ({@link
 * io.finchstream.engine.state.StateFormat}: magic, version, WKV precision, model id, dimensions)
 * with the writer and reader of the little-endian body (float32 vectors, WKV matrices in float32 or
 * bfloat16), and copying of per-layer rows. Each architecture's codec lays out its own body with
 * them.
 */
package io.finchstream.engine.state;
