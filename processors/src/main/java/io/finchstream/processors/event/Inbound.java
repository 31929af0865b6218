package io.finchstream.processors.event;

import io.finchstream.proto.v1.EventOrigin;

/**
 * An accepted input event: its conversation, its command, where it came from, and its original
 * bytes (kept for the dead-letter topic, should applying it fail later, and for deferral).
 *
 * @param conversationId the record key, decoded; never null or empty
 * @param eventId {@code ConversationEvent.event_id} (may be empty)
 * @param command what to do
 * @param origin topic, partition, offset and timestamp of the record
 * @param rawKey the record key as it arrived
 * @param rawValue the record value as it arrived
 */
@SuppressWarnings("ArrayRecordComponent") // read by index, never compared or hashed
public record Inbound(
    String conversationId,
    String eventId,
    Command command,
    EventOrigin origin,
    byte[] rawKey,
    byte[] rawValue) {

  /** The id replies about this event carry: the Generate's request id, else the event id. */
  public String requestId() {
    return command instanceof Command.StartGeneration g ? g.request().getRequestId() : eventId;
  }

  /** Generate.reply_to, else empty. */
  public String replyTo() {
    return command instanceof Command.StartGeneration g ? g.request().getReplyTo() : "";
  }
}
