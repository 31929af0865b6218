package io.finchstream.processors.event;

import io.finchstream.proto.v1.ErrorCode;

/**
 * Why an event cannot be processed.
 *
 * @param code the error code (events.proto {@code ErrorCode})
 * @param reason a human-readable reason naming the offending field and value
 * @param conversationId the conversation, or null when the key itself is invalid (no reply then)
 * @param requestId the id replies carry (request id of a Generate, else the event id; may be empty)
 * @param replyTo Generate.reply_to, or empty
 */
public record Rejection(
    ErrorCode code, String reason, String conversationId, String requestId, String replyTo) {}
