package io.finchstream.processors.event;

import io.finchstream.proto.v1.Role;

/**
 * How a role's text is rendered into the model's chat format before tokenizing (events.proto,
 * {@code Role}): the RWKV convention {@code "User: {text}\n\n"}, {@code "Assistant: {text}\n\n"},
 * {@code "System: {text}\n\n"}; RAW and UNSPECIFIED text is used exactly as given.
 */
public final class ChatFormat {

  private ChatFormat() {}

  /**
   * The text to tokenize for {@code text} spoken by {@code role}.
   *
   * @throws IllegalArgumentException for a role value this version does not know
   */
  public static String render(final Role role, final String text) {
    return switch (role) {
      case ROLE_UNSPECIFIED, ROLE_RAW -> text;
      case ROLE_USER -> "User: " + text + "\n\n";
      case ROLE_ASSISTANT -> "Assistant: " + text + "\n\n";
      case ROLE_SYSTEM -> "System: " + text + "\n\n";
      case UNRECOGNIZED -> throw new IllegalArgumentException("unknown role");
    };
  }
}
