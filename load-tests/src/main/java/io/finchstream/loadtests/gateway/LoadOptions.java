package io.finchstream.loadtests.gateway;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Options of {@link ChatLoad}, from {@code --name value} arguments.
 *
 * @param url the gateway, e.g. {@code http://localhost:8080}
 * @param sessions concurrent chat sessions
 * @param turns turns (user message + reply) per session
 * @param maxTokens max_tokens of each reply
 * @param promptBytes approximate size of each user message
 * @param temperature sampling temperature
 * @param api {@code openai} (chat completions with {@code X-Conversation-Id}), {@code
 *     openai-stateless} (chat completions without it: automatic reuse) or {@code native} (messages
 *     + generate)
 * @param apiKey bearer key, or null
 * @param out directory for the .hgrm files, the JSON summary and the plot
 * @param seed seed of the generated prompts and sampling seeds
 */
public record LoadOptions(
    URI url,
    int sessions,
    int turns,
    int maxTokens,
    int promptBytes,
    double temperature,
    String api,
    String apiKey,
    Path out,
    long seed) {

  static final String USAGE =
      """
      usage: ChatLoad [--url http://localhost:8080] [--sessions 8] [--turns 5] [--max-tokens 64]
                      [--prompt-bytes 64] [--temperature 1.0]
                      [--api openai|openai-stateless|native] [--api-key KEY]
                      [--out load-tests/target/gateway-load] [--seed 1]
      Drives N concurrent chat sessions through a running Finchstream gateway and reports
      HdrHistogram latencies (time to first token, inter-token) and throughput.""";

  public LoadOptions {
    if (sessions < 1 || turns < 1 || maxTokens < 1 || promptBytes < 1) {
      throw new IllegalArgumentException(
          "sessions, turns, max-tokens and prompt-bytes must be positive\n" + USAGE);
    }
    if (!api.equals("openai") && !api.equals("openai-stateless") && !api.equals("native")) {
      throw new IllegalArgumentException(
          "--api must be openai, openai-stateless or native, got " + api + "\n" + USAGE);
    }
  }

  static LoadOptions parse(final String[] args) {
    String url = "http://localhost:8080";
    int sessions = 8;
    int turns = 5;
    int maxTokens = 64;
    int promptBytes = 64;
    double temperature = 1.0;
    String api = "openai";
    String key = System.getenv("FINCHSTREAM_API_KEY");
    String out = "load-tests/target/gateway-load";
    long seed = 1;
    for (int i = 0; i < args.length; i++) {
      final String name = args[i];
      if (name.equals("--help") || name.equals("-h")) {
        throw new IllegalArgumentException(USAGE);
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("missing value for " + name + "\n" + USAGE);
      }
      final String value = args[++i];
      switch (name) {
        case "--url" -> url = value;
        case "--sessions" -> sessions = Integer.parseInt(value);
        case "--turns" -> turns = Integer.parseInt(value);
        case "--max-tokens" -> maxTokens = Integer.parseInt(value);
        case "--prompt-bytes" -> promptBytes = Integer.parseInt(value);
        case "--temperature" -> temperature = Double.parseDouble(value);
        case "--api" -> api = value.toLowerCase(Locale.ROOT);
        case "--api-key" -> key = value;
        case "--out" -> out = value;
        case "--seed" -> seed = Long.parseLong(value);
        default -> throw new IllegalArgumentException("unknown option " + name + "\n" + USAGE);
      }
    }
    return new LoadOptions(
        URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url),
        sessions,
        turns,
        maxTokens,
        promptBytes,
        temperature,
        api,
        key == null || key.isBlank() ? null : key,
        Path.of(out),
        seed);
  }
}
