package io.finchstream.processors.serde;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka serde for one Protobuf message type: plain {@code toByteArray()} / {@code parseFrom()},
 * no schema registry (the schemas are versioned in {@code proto/}). Null stays null (tombstones).
 *
 * @param <T> the message type
 */
public final class ProtoSerde<T extends MessageLite> implements Serde<T> {

  private final Parser<T> parser;

  public ProtoSerde(final Parser<T> parser) {
    this.parser = parser;
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, message) -> message == null ? null : message.toByteArray();
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, bytes) -> {
      if (bytes == null) {
        return null;
      }
      try {
        return parser.parseFrom(bytes);
      } catch (final InvalidProtocolBufferException e) {
        throw new SerializationException(
            "topic "
                + topic
                + ": "
                + bytes.length
                + " bytes are not a valid message: "
                + e.getMessage(),
            e);
      }
    };
  }
}
