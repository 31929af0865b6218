package io.finchstream.gateway.conversation;

import io.finchstream.gateway.http.ApiError;
import java.util.regex.Pattern;

/**
 * Conversation ids: 1 to 128 characters from {@code A-Z a-z 0-9 . _ : @ - ~}, starting with a
 * letter or digit. They are Kafka keys and URL path segments, so nothing that needs escaping is
 * allowed. {@code ~} names a branch of a tree ({@code root~branch}: it lives with {@code root}, see
 * {@code io.finchstream.proto.ConversationKeys}).
 */
public final class ConversationIds {

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@~-]{0,127}");

  private ConversationIds() {}

  /** Returns {@code id} if valid, else throws a 400 naming {@code param}. */
  public static String require(final String id, final String param) {
    if (id == null || !VALID.matcher(id).matches()) {
      throw ApiError.invalidParameter(
              param,
              "invalid conversation id "
                  + (id == null ? "(none)" : "'" + abbreviate(id) + "'")
                  + ": use 1 to 128 characters from A-Z a-z 0-9 . _ : @ - ~, starting with a letter or digit")
          .exception();
    }
    return id;
  }

  private static String abbreviate(final String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
