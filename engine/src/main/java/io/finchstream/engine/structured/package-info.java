/**
 * Structured outputs by constrained decoding: at every draw only the tokens that keep the output a
 * valid prefix of a JSON value (matching a schema when one is given) are allowed, and the reply
 * ends when the value is complete. See {@code docs/SAMPLING.md}.
 *
 * <ul>
 *   <li>{@link io.finchstream.engine.structured.JsonGrammar} — what may be written: any object
 *       ({@code json_object}), a JSON schema (OpenAI's subset; the rest refused by name with a
 *       {@link io.finchstream.engine.structured.SchemaException}), or a tool call.
 *   <li>{@link io.finchstream.engine.structured.TokenTable} — a vocabulary's tokens as a byte trie.
 *   <li>{@link io.finchstream.engine.structured.TokenGrammar} — a grammar bound to a vocabulary,
 *       with its masks cached per grammar state; shared by every request with that schema.
 *   <li>{@link io.finchstream.engine.structured.JsonConstraint} — one generation's position: the
 *       {@link io.finchstream.engine.sampling.TokenConstraint} a {@link
 *       io.finchstream.engine.sampling.Generation} masks its draws with.
 * </ul>
 *
 * <p>Inside: the schema compiles to {@code Rule}s (one per kind of JSON value), a recognizer state
 * is a set of persistent stacks of {@code Frame}s ({@code ParseState}), and every state knows the
 * fewest bytes that complete the value, which keeps every output completable within {@code
 * max_tokens}.
 */
package io.finchstream.engine.structured;
