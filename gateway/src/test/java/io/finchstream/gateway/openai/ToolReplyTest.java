package io.finchstream.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ToolReplyTest {

  private static final List<String> NAMES = List.of("get_weather", "search");

  /** Feeds {@code text} one character at a time (the worst split), then ends it. */
  private static List<JsonObject> stream(final ToolReply reply, final String text) {
    final List<JsonObject> deltas = new ArrayList<>();
    for (int i = 0; i < text.length(); i++) {
      deltas.addAll(reply.push(text.substring(i, i + 1)));
    }
    deltas.addAll(reply.finish());
    return deltas;
  }

  /** The call the deltas stream, accumulated as a client does: id and name once, arguments. */
  private static JsonObject accumulate(final List<JsonObject> deltas) {
    final JsonObject call = new JsonObject();
    final StringBuilder arguments = new StringBuilder();
    for (final JsonObject d : deltas) {
      final JsonArray calls = d.getJsonArray("tool_calls");
      if (calls == null) {
        continue;
      }
      final JsonObject c = calls.getJsonObject(0);
      assertThat(c.getInteger("index")).isZero();
      if (c.containsKey("id")) {
        assertThat(call.containsKey("id")).as("the head comes once").isFalse();
        call.put("id", c.getString("id"))
            .put("name", c.getJsonObject("function").getString("name"));
      }
      arguments.append(c.getJsonObject("function").getString("arguments"));
    }
    return call.put("arguments", arguments.toString());
  }

  @Test
  void shouldStreamAForcedCallsArgumentsAsTheyComeAndEqualTheAnswer() {
    final String arguments = "{\"location\": {\"city\": \"Paris\"}, \"unit\": \"c\"}";
    final String text = " {\"name\": \"get_weather\", \"arguments\":  " + arguments + " }";
    final ToolReply streamed = new ToolReply(true, false, NAMES);
    final List<JsonObject> deltas = stream(streamed, text);
    assertThat(deltas.get(0).getString("role")).isEqualTo("assistant");
    assertThat(deltas.get(0).getValue("content")).isNull();
    final JsonObject call = accumulate(deltas);
    assertThat(call.getString("name")).isEqualTo("get_weather");
    assertThat(call.getString("id")).startsWith("call_");
    assertThat(call.getString("arguments")).isEqualTo(arguments);
    assertThat(deltas.size()).as("the arguments come in many deltas").isGreaterThan(10);
    final ToolReply whole = new ToolReply(true, false, NAMES);
    whole.push(text);
    whole.finish();
    final JsonObject message = whole.message();
    assertThat(message.getValue("content")).isNull();
    assertThat(
            message
                .getJsonArray("tool_calls")
                .getJsonObject(0)
                .getJsonObject("function")
                .getString("arguments"))
        .isEqualTo(arguments);
    assertThat(whole.finishReason("stop")).isEqualTo("tool_calls");
    assertThat(new ToolReply(true, true, NAMES).finishReason("stop"))
        .as("a named tool_choice finishes with stop, as OpenAI's")
        .isEqualTo("stop");
  }

  @Test
  void shouldKeepTheArgumentsOfACallCutByMaxTokens() {
    final ToolReply reply = new ToolReply(true, false, NAMES);
    final List<JsonObject> deltas =
        stream(reply, "{\"name\": \"search\", \"arguments\": {\"q\": \"fin}");
    assertThat(accumulate(deltas).getString("arguments")).isEqualTo("{\"q\": \"fin}");
    assertThat(reply.finishReason("length")).isEqualTo("length");
  }

  @Test
  void shouldTellACallFromTextWithAuto() {
    final String call = "<tool_call>{\"name\": \"search\", \"arguments\": {\"q\": \"finch\"}}";
    final ToolReply calling = new ToolReply(false, false, NAMES);
    final JsonObject streamedCall = accumulate(stream(calling, "  " + call));
    assertThat(calling.isCall()).isTrue();
    assertThat(streamedCall.getString("name")).isEqualTo("search");
    assertThat(streamedCall.getString("arguments")).isEqualTo("{\"q\": \"finch\"}");
    assertThat(calling.finishReason("stop")).isEqualTo("tool_calls");

    final ToolReply text = new ToolReply(false, false, NAMES);
    final List<JsonObject> deltas = stream(text, " <tool maybe not> hello ");
    assertThat(text.isCall()).isFalse();
    final StringBuilder content = new StringBuilder();
    deltas.forEach(d -> content.append(d.getString("content", "")));
    assertThat(content.toString().strip()).isEqualTo("<tool maybe not> hello");
    assertThat(text.message().getString("content")).isEqualTo("<tool maybe not> hello");
    assertThat(deltas.get(1).getString("content"))
        .as("text streams as soon as it cannot start a call")
        .isEqualTo("<tool ");

    for (final String notACall :
        List.of(
            "<tool_call>{\"name\": \"unknown\", \"arguments\": {}}",
            "<tool_call>{\"name\": \"search\", \"arguments\": {\"q\": ",
            "<tool_call>not json")) {
      final ToolReply r = new ToolReply(false, false, NAMES);
      final List<JsonObject> d = stream(r, notACall);
      assertThat(r.isCall()).as(notACall).isFalse();
      assertThat(r.message().getString("content")).isEqualTo(notACall.strip());
      assertThat(d).noneMatch(x -> x.containsKey("tool_calls"));
    }
  }
}
