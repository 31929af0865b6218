package io.finchstream.gateway;

import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.ErrorCode;
import java.util.Optional;

/**
 * Port to the processors' own check of an event, asked before the gateway writes one: a request is
 * answered 2xx only when every event it writes would be applied, and with the 4xx the processors'
 * reason calls for otherwise (a limit in tokens of the rendered chat text, say, which the gateway
 * cannot count without the model's tokenizer). Implemented outside the gateway (in {@code app}, on
 * the processors' {@code EventValidator}, with the served model's tokenizer), so that both sides
 * run the same code on the same bytes.
 *
 * <p>Checks that need a conversation's state (a Fork of an unknown conversation, a Generate on an
 * empty one) are not made here; the processors report those to the client that asked (a Generate's
 * reply) or the gateway checks them against the conversation's metadata.
 *
 * <p>Called on a worker thread when the event is large (tokenizing a megabyte of text takes a
 * while), else on the event loop: an implementation must be thread-safe and must not block on I/O.
 */
@FunctionalInterface
public interface EventAdmission {

  /**
   * Whether the processors would accept {@code event} written to conversation {@code key} (the
   * Kafka record key).
   *
   * @return empty when they would, else their refusal
   */
  Optional<Refusal> check(String key, ConversationEvent event);

  /** Why the processors would refuse an event: their error code and reason. */
  record Refusal(ErrorCode code, String reason) {}

  /** Admits everything (for gateways with no processors' checks to ask). */
  static EventAdmission none() {
    return (key, event) -> Optional.empty();
  }
}
