package io.finchstream.gateway.openai;

import io.finchstream.gateway.conversation.ChatTurns;
import io.finchstream.gateway.kafka.Events;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One choice's reply to a request with {@code tools}: a text, or a call of one of the functions,
 * turned into OpenAI's {@code tool_calls} (one call, with an id) in the answer and in streamed
 * deltas as OpenAI streams them: a first delta with the call's {@code index}, {@code id}, {@code
 * type} and {@code function.name} (and empty {@code arguments}), then deltas of {@code
 * function.arguments} text.
 *
 * <p>With a forced call ({@code tool_choice} {@code required} or a named function) the reply is the
 * call's JSON, {@code {"name": ..., "arguments": ...}} (constrained decoding guarantees it): the
 * arguments stream as they are generated. With {@code auto} the model chooses: a reply that starts
 * with {@value #CALL_TAG} followed by such a JSON object of a known function is a call (sent in one
 * piece when the reply ends, since until then it may still turn out not to be valid), anything else
 * is text (streamed as soon as it cannot be the start of a call). Not thread-safe.
 */
final class ToolReply {

  /** What the model writes before a call (ChatTools renders it in the prompt). */
  static final String CALL_TAG = "<tool_call>";

  /** The start of a call's JSON, up to its arguments. */
  private static final Pattern HEAD =
      Pattern.compile(
          "\\s*\\{\\s*\"name\"\\s*:\\s*(\"(?:[^\"\\\\]|\\\\.)*\")\\s*,\\s*\"arguments\"\\s*:");

  /** What may still close the arguments' text: whitespace, the call object's brace, whitespace. */
  private static final Pattern TAIL = Pattern.compile("\\s*(\\}\\s*)?$");

  private final boolean forced;
  private final boolean named;
  private final List<String> names;
  private final String id = "call_" + Events.newId().replace("-", "").substring(0, 24);
  private final StringBuilder text = new StringBuilder();

  /** Auto: null while undecided, then whether the reply is a call. */
  private Boolean call;

  private String name;
  private int argsStart = -1;
  private int sentArgs;
  private int sentText;
  private boolean headSent;
  private boolean roleSent;

  /**
   * @param forced the reply is a call's JSON (constrained)
   * @param named the call was forced by name (OpenAI then finishes with {@code stop})
   * @param names the functions the request declares
   */
  ToolReply(final boolean forced, final boolean named, final List<String> names) {
    this.forced = forced;
    this.named = named;
    this.names = names;
    this.call = forced ? Boolean.TRUE : null;
  }

  /** The next piece of the reply; returns the deltas to stream. */
  List<JsonObject> push(final String piece) {
    text.append(piece);
    final List<JsonObject> out = new ArrayList<>();
    if (forced) {
      arguments(out, false);
    } else {
      decide();
      if (Boolean.FALSE.equals(call)) {
        content(out, false);
      }
    }
    return out;
  }

  /** The reply ended: the last deltas to stream. */
  List<JsonObject> finish() {
    final List<JsonObject> out = new ArrayList<>();
    if (!forced) {
      call = parsedCall() != null;
    }
    if (call) {
      if (!forced) {
        final JsonObject c = parsedCall();
        name = c.getString("name");
        argsStart = text.indexOf(CALL_TAG) + CALL_TAG.length() + head(callText()).end();
      }
      arguments(out, true);
    } else {
      content(out, true);
    }
    return out;
  }

  /** Whether the reply is a call (after {@link #finish}). */
  boolean isCall() {
    return Boolean.TRUE.equals(call);
  }

  /** OpenAI's finish reason for a reply that ended with {@code reason} ("stop", "length"). */
  String finishReason(final String reason) {
    if (!isCall() || reason.equals("length")) {
      return reason;
    }
    return named ? "stop" : "tool_calls";
  }

  /** The answer's {@code message} (after {@link #finish}). */
  JsonObject message() {
    final JsonObject m = new JsonObject().put("role", "assistant");
    if (isCall()) {
      m.putNull("content").put("tool_calls", new JsonArray().add(callJson(finalArguments())));
    } else {
      m.put("content", ChatTurns.replyText(text.toString()));
    }
    return m.putNull("refusal");
  }

  private JsonObject callJson(final String arguments) {
    return new JsonObject()
        .put("id", id)
        .put("type", "function")
        .put("function", new JsonObject().put("name", name).put("arguments", arguments));
  }

  /** Auto: a call iff the reply starts with the tag; undecided while it may still. */
  private void decide() {
    if (call != null) {
      return;
    }
    final String s = text.toString().stripLeading();
    if (s.startsWith(CALL_TAG)) {
      call = Boolean.TRUE; // tentative: checked when the reply ends
    } else if (!s.isEmpty() && !CALL_TAG.startsWith(s)) {
      call = Boolean.FALSE;
    }
  }

  /** Auto: the call the reply holds, or null when it is not a valid call of a known function. */
  private JsonObject parsedCall() {
    final String s = text.toString().stripLeading();
    if (!s.startsWith(CALL_TAG)) {
      return null;
    }
    final String json = callText();
    if (!head(json).lookingAt()) {
      return null;
    }
    try {
      final JsonObject c = new JsonObject(json.strip());
      return c.size() == 2
              && c.getValue("name") instanceof String n
              && names.contains(n)
              && c.getValue("arguments") instanceof JsonObject
          ? c
          : null;
    } catch (final DecodeException e) {
      return null;
    }
  }

  private String callText() {
    return text.substring(text.indexOf(CALL_TAG) + CALL_TAG.length());
  }

  private static Matcher head(final CharSequence s) {
    final Matcher m = HEAD.matcher(s);
    m.lookingAt();
    return m;
  }

  /** Text content: everything but leading whitespace (and, until the end, trailing). */
  private void content(final List<JsonObject> out, final boolean end) {
    final String s = text.toString().stripLeading();
    final String ready = end ? ChatTurns.replyText(s) : s;
    if (ready.length() > sentText) {
      role(out);
      out.add(new JsonObject().put("content", ready.substring(sentText)));
      sentText = ready.length();
    } else if (end) {
      role(out);
    }
  }

  private void role(final List<JsonObject> out) {
    if (!roleSent) {
      roleSent = true;
      out.add(new JsonObject().put("role", "assistant").put("content", ""));
    }
  }

  /**
   * The call's deltas: its head once the name is complete, then the arguments' text as far as it is
   * final (trailing whitespace and a brace that may close the call are held back until the end).
   */
  private void arguments(final List<JsonObject> out, final boolean end) {
    if (argsStart < 0) {
      final Matcher m = HEAD.matcher(text);
      if (m.lookingAt()) {
        name = new JsonArray("[" + m.group(1) + "]").getString(0);
        argsStart = m.end();
      } else if (!end) {
        return;
      } else {
        name = ""; // cut (max_tokens) before the name was complete
        argsStart = text.length();
      }
    }
    if (!headSent) {
      headSent = true;
      roleSent = true;
      out.add(
          new JsonObject()
              .put("role", "assistant")
              .putNull("content")
              .put("tool_calls", new JsonArray().add(callJson("").put("index", 0))));
    }
    final String args;
    if (end) {
      args = finalArguments();
    } else {
      final String region = text.substring(argsStart).stripLeading();
      final Matcher tail = TAIL.matcher(region);
      args = tail.find() ? region.substring(0, tail.start()) : region;
    }
    if (args.length() > sentArgs) {
      out.add(
          new JsonObject()
              .put(
                  "tool_calls",
                  new JsonArray()
                      .add(
                          new JsonObject()
                              .put("index", 0)
                              .put(
                                  "function",
                                  new JsonObject().put("arguments", args.substring(sentArgs))))));
      sentArgs = args.length();
    }
  }

  /**
   * The arguments' JSON text: what follows {@code "arguments":}, up to the brace that closes the
   * call when it was closed (the whole rest when the reply was cut), without surrounding
   * whitespace.
   */
  private String finalArguments() {
    if (argsStart < 0) {
      return "";
    }
    final String region = text.substring(argsStart);
    final String stripped = region.stripTrailing();
    if (stripped.endsWith("}") && complete()) {
      return stripped.substring(0, stripped.length() - 1).strip();
    }
    return region.strip();
  }

  /** Whether the call's JSON is complete (parses). */
  private boolean complete() {
    final String json = forced ? text.toString() : callText();
    try {
      new JsonObject(json.strip());
      return true;
    } catch (final DecodeException e) {
      return false;
    }
  }
}
