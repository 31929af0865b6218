/**
 * Tokenizers: text ⇄ token ids, and streaming decoding of generated ids.
 *
 * <ul>
 *   <li>{@link io.finchstream.engine.tokenizer.Tokenizer} — the common contract (id 0 = end of
 *       text).
 *   <li>{@link io.finchstream.engine.tokenizer.WorldTokenizer} — the RWKV "World" vocabulary {@code
 *       rwkv_vocab_v20230424.txt}, greedy longest match over UTF-8 bytes (finch-math.md §4).
 *   <li>{@link io.finchstream.engine.tokenizer.ByteTokenizer} — vocab-256 byte-level models (token
 *       = byte).
 *   <li>{@link io.finchstream.engine.tokenizer.Tokenizers} — picks one for a model's vocab size.
 *   <li>{@link io.finchstream.engine.tokenizer.StreamingDecoder} — ids in, only complete characters
 *       out.
 * </ul>
 */
package io.finchstream.engine.tokenizer;
