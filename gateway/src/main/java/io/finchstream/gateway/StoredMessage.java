package io.finchstream.gateway;

/**
 * One stored message of a conversation, as its owner reports it.
 *
 * @param index its index (from 0)
 * @param role {@code user}, {@code assistant}, {@code system}, {@code raw} or {@code tokens}
 * @param text its text (empty for raw tokens)
 * @param truncated whether the stored text was cut (it was too long to keep whole)
 * @param tokens tokens it put into the conversation
 * @param end the conversation's token position right after it
 * @param digestHex the running message digest after it (hex; {@code MessageHistory})
 * @param snapshot whether a snapshot is retained at its end (going back to it replays nothing)
 * @param reachable whether the conversation can be rewound or forked right after it
 */
public record StoredMessage(
    long index,
    String role,
    String text,
    boolean truncated,
    long tokens,
    long end,
    String digestHex,
    boolean snapshot,
    boolean reachable) {}
