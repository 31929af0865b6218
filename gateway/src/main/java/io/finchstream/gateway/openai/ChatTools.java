package io.finchstream.gateway.openai;

import io.finchstream.gateway.EventLimits;
import io.finchstream.gateway.conversation.MessageEvents;
import io.finchstream.gateway.http.ApiError;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.ResponseFormat;
import io.finchstream.proto.v1.Role;
import io.finchstream.proto.v1.ToolFunction;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A chat request's {@code tools}, {@code tool_choice} and {@code parallel_tool_calls}, and the
 * prompt format that renders them (docs/GATEWAY.md, "Tools").
 *
 * <p>The functions are rendered as one system message before the request's messages: {@value
 * #INTRO}, then one line per function: its name, description and parameters as compact JSON. A call
 * in the history (an assistant message's {@code tool_calls}) is rendered as {@value
 * ToolReply#CALL_TAG}{@code {"name": "<name>", "arguments": <arguments>}}, one per line after the
 * message's content; a {@code tool} message as the raw text {@code Tool: <content>\n\n}.
 *
 * <p>{@code tool_choice}: {@code none} generates text; {@code auto} (the default with tools) lets
 * the model choose (a reply that starts with the tag and a valid call is a call, {@link
 * ToolReply}); {@code required} and a named function generate after {@code Assistant: <tool_call>}
 * under the constraint of one call of the functions (all of them, or the named one): the arguments
 * always parse and validate against the function's parameters. One call per reply ({@code
 * parallel_tool_calls} allows several, it does not ask for them).
 *
 * @param functions the declared functions, in order (their grammar form)
 * @param rendered the functions as rendered in the prompt, one JSON line each
 * @param choice none, auto, required, or "function" (a named one)
 * @param named the named function, or null
 */
record ChatTools(List<ToolFunction> functions, List<String> rendered, String choice, String named) {

  /** Most functions per request (OpenAI's bound). */
  static final int MAX_TOOLS = 128;

  /** The first line of the tools' system message. */
  static final String INTRO =
      "You can call functions. To call one, answer with "
          + ToolReply.CALL_TAG
          + " and then one JSON object {\"name\": <the function's name>, \"arguments\": <its"
          + " arguments>} on one line. The functions:";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Set<String> FUNCTION_FIELDS =
      Set.of("name", "description", "parameters", "strict");

  /**
   * The request's tools, or null when it declares none ({@code tool_choice} may then only be {@code
   * none}).
   */
  static ChatTools read(final JsonObject body, final EventLimits limits) {
    final Object parallel = body.getValue("parallel_tool_calls");
    if (parallel != null && !(parallel instanceof Boolean)) {
      throw ApiError.invalidParameter(
              "parallel_tool_calls", "'parallel_tool_calls' must be a boolean")
          .exception();
    }
    final Object value = body.getValue("tools");
    final Object choiceValue = body.getValue("tool_choice");
    if (value == null) {
      if (choiceValue != null && !"none".equals(choiceValue)) {
        throw ApiError.invalidParameter(
                "tool_choice", "'tool_choice' other than \"none\" needs 'tools'")
            .exception();
      }
      return null;
    }
    if (!(value instanceof JsonArray tools) || tools.isEmpty() || tools.size() > MAX_TOOLS) {
      throw ApiError.invalidParameter(
              "tools", "'tools' must be an array of 1 to " + MAX_TOOLS + " functions")
          .exception();
    }
    final List<ToolFunction> functions = new ArrayList<>();
    final List<String> rendered = new ArrayList<>();
    final List<String> names = new ArrayList<>();
    for (int i = 0; i < tools.size(); i++) {
      final String param = "tools[" + i + "]";
      if (!(tools.getValue(i) instanceof JsonObject tool)
          || !"function".equals(tool.getValue("type"))
          || !(tool.getValue("function") instanceof JsonObject f)) {
        throw ApiError.invalidParameter(
                param, "'" + param + "' must be {\"type\": \"function\", \"function\": {...}}")
            .exception();
      }
      for (final String field : f.fieldNames()) {
        if (!FUNCTION_FIELDS.contains(field)) {
          throw ApiError.invalidParameter(
                  param + ".function." + field, "unknown field '" + field + "'")
              .exception();
        }
      }
      if (!(f.getValue("name") instanceof String name) || !NAME.matcher(name).matches()) {
        throw ApiError.invalidParameter(
                param + ".function.name",
                "a function's 'name' is 1 to 64 characters from a-z A-Z 0-9 _ -")
            .exception();
      }
      if (names.contains(name)) {
        throw ApiError.invalidParameter(
                param + ".function.name", "function name '" + name + "' repeats")
            .exception();
      }
      names.add(name);
      final Object description = f.getValue("description");
      final Object parameters = f.getValue("parameters");
      final Object strict = f.getValue("strict");
      if ((description != null && !(description instanceof String))
          || (parameters != null && !(parameters instanceof JsonObject))
          || (strict != null && !(strict instanceof Boolean))) {
        throw ApiError.invalidParameter(
                param + ".function",
                "'description' is a string, 'parameters' a JSON schema object, 'strict' a boolean")
            .exception();
      }
      // The schema is compiled by the processors' validator when the Generate is admitted (400
      // "tools: (function 'name'): ..." for one outside the subset).
      functions.add(
          ToolFunction.newBuilder()
              .setName(name)
              .setParameters(parameters == null ? "" : ((JsonObject) parameters).encode())
              .setStrict(Boolean.TRUE.equals(strict))
              .build());
      final JsonObject line = new JsonObject().put("name", name);
      if (description != null) {
        line.put("description", description);
      }
      if (parameters != null) {
        line.put("parameters", parameters);
      }
      rendered.add(line.encode());
    }
    final ChatTools read = new ChatTools(functions, rendered, choice(choiceValue, names), null);
    final ChatTools out =
        read.choice().equals("function")
            ? new ChatTools(functions, rendered, "function", named(choiceValue))
            : read;
    MessageEvents.checkText(out.system().text(), "tools", limits);
    return out;
  }

  private static String choice(final Object value, final List<String> names) {
    if (value == null) {
      return "auto";
    }
    if (value instanceof String s && Set.of("none", "auto", "required").contains(s)) {
      return s;
    }
    final String name = value instanceof JsonObject ? named(value) : null;
    if (name == null || !names.contains(name)) {
      throw ApiError.invalidParameter(
              "tool_choice",
              "'tool_choice' must be \"none\", \"auto\", \"required\" or {\"type\": \"function\","
                  + " \"function\": {\"name\": <one of the tools>}}")
          .exception();
    }
    return "function";
  }

  private static String named(final Object value) {
    return value instanceof JsonObject o
            && "function".equals(o.getValue("type"))
            && o.getValue("function") instanceof JsonObject f
            && f.getValue("name") instanceof String name
        ? name
        : null;
  }

  /** The system message that renders the functions (before the request's messages). */
  ChatMessage system() {
    return new ChatMessage(Role.ROLE_SYSTEM, INTRO + "\n" + String.join("\n", rendered));
  }

  /** Whether the reply must be a call ({@code required} or a named function). */
  boolean forced() {
    return choice.equals("required") || choice.equals("function");
  }

  /** Constrains {@code generate} to one call of the functions {@code tool_choice} allows. */
  void constrain(final Generate.Builder generate) {
    final ResponseFormat.Builder format =
        ResponseFormat.newBuilder().setType(ResponseFormat.Type.TYPE_TOOL_CALL);
    for (final ToolFunction f : functions) {
      if (named == null || named.equals(f.getName())) {
        format.addFunctions(f);
      }
    }
    generate.setResponseFormat(format);
  }

  /** A fresh reply reader for one choice; null with {@code tool_choice} none (plain text). */
  ToolReply reply() {
    if (choice.equals("none")) {
      return null;
    }
    return new ToolReply(
        forced(), named != null, functions.stream().map(ToolFunction::getName).toList());
  }
}
