package io.finchstream.gateway.kafka;

/**
 * Where an event went: its partition and offset in the events topic.
 *
 * @param eventId the event's {@code event_id}
 * @param deletes whether the event deletes the conversation
 */
public record Written(String eventId, int partition, long offset, boolean deletes) {

  /** {@code "partition:offset"}. */
  public String position() {
    return partition + ":" + offset;
  }
}
