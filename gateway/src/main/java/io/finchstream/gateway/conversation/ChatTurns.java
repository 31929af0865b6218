package io.finchstream.gateway.conversation;

import java.util.List;

/**
 * The chat convention the chat endpoints follow (the RWKV one the processors render roles in,
 * events.proto {@code Role}): a reply is generated after the prefix {@code "Assistant:"} and ends
 * at a blank line, where the next {@code "User: ..."} turn would start.
 */
public final class ChatTurns {

  /** Text written right before generating a reply. */
  public static final String ASSISTANT_PREFIX = "Assistant:";

  /** Stop strings that end a reply. */
  public static final List<String> TURN_STOPS = List.of("\n\n");

  private ChatTurns() {}

  /**
   * The reply text as a chat client shows it: without the space the model writes after the prefix.
   */
  public static String replyText(final String generated) {
    return generated.strip();
  }
}
