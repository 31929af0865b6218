package io.finchstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code up} with its embedded Kafka and default demo model, then {@code send} and {@code tail}
 * against it, all through the real command line.
 */
class ServiceCommandsTest {

  @TempDir Path dir;

  @Test
  void shouldStartEverythingLocallyAndServeSendAndTail() throws Exception {
    final Path demo = DemoModels.require(ServedModels.DEMO_FILE);
    final CommandLine up = Main.commandLine();
    final UpCommand command = (UpCommand) up.getSubcommands().get("up").getCommand();
    command.stop = new CountDownLatch(1);
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    up.setOut(new PrintWriter(out, true));
    up.setErr(new PrintWriter(err, true));
    final ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      final Future<Integer> exit =
          executor.submit(
              () ->
                  up.execute(
                      "up",
                      "--data-dir",
                      dir.toString(),
                      "--kafka-port",
                      "0",
                      "--port",
                      "0",
                      "--partitions",
                      "2",
                      "--set",
                      "streams.commit.interval.ms=50"));
      final String bootstrap = awaitBootstrap(out, exit);
      assertThat(err.toString())
          .contains("serving the demo model goldfinch-shakespeare-L6-C256, a small demo model")
          .contains("trained on Shakespeare")
          .contains("not an assistant");
      try (Stream<Path> models = Files.list(dir.resolve("models"))) {
        assertThat(models)
            .singleElement()
            .satisfies(
                f -> assertThat(f.getFileName().toString()).isEqualTo(ServedModels.DEMO_FILE));
      }
      assertThat(Files.readAllBytes(dir.resolve("models").resolve(ServedModels.DEMO_FILE)))
          .as("the bundled demo model is the repository's models/ file")
          .isEqualTo(Files.readAllBytes(demo));

      final CliRun send =
          CliRun.of(
              "send",
              "--bootstrap-servers",
              bootstrap,
              "--conversation",
              "demo",
              "--generate",
              "--max-tokens",
              "12",
              "--temperature",
              "0",
              "Hello",
              "finch");
      assertThat(send.exit()).as(send.err()).isZero();
      // byte vocabulary: one token per byte of "User: Hello finch\n\n" + "Assistant:", then 12
      // generated.
      final int expected = "User: Hello finch\n\n".length() + "Assistant:".length() + 12;
      assertThat(send.err())
          .contains("10 prompt + 12 generated tokens")
          .contains("conversation has " + expected);
      // regenerate the reply: back to the turn after the first message, and the same again
      final CliRun again =
          CliRun.of(
              "send",
              "--bootstrap-servers",
              bootstrap,
              "--conversation",
              "demo",
              "--rewind",
              "1",
              "--generate",
              "--max-tokens",
              "12",
              "--temperature",
              "0");
      assertThat(again.exit()).as(again.err()).isZero();
      assertThat(again.err()).contains("conversation has " + expected);
      assertThat(again.out()).isEqualTo(send.out());

      final CliRun bad =
          CliRun.of(
              "send",
              "--bootstrap-servers",
              bootstrap,
              "--conversation",
              "demo",
              "--tokens",
              "5,300");
      assertThat(bad.exit()).isZero();
      final CliRun tail =
          CliRun.of(
              "tail",
              "--bootstrap-servers",
              bootstrap,
              "--from-beginning",
              "--dlq",
              "--conversation",
              "demo",
              "--timeout",
              "5");
      assertThat(tail.out())
          .contains("chunk 0:")
          .contains("done length, 12 tokens")
          .contains("DLQ TOKEN_OUT_OF_RANGE");

      checkGateway(out.toString());

      command.stop.countDown();
      assertThat(exit.get(60, TimeUnit.SECONDS)).isZero();
      assertThat(out.toString()).contains("finchstream: stopping");
    } finally {
      command.stop.countDown();
      executor.shutdownNow();
    }
  }

  /** The gateway `up` printed serves the model: ready, and a chat completion streams through it. */
  private static void checkGateway(final String out) throws Exception {
    final Matcher m = Pattern.compile("Gateway: (http://localhost:\\d+)").matcher(out);
    assertThat(m.find()).as("up prints the gateway's address: " + out).isTrue();
    final HttpClient http = HttpClient.newHttpClient();
    final HttpResponse<String> ready =
        http.send(
            HttpRequest.newBuilder(URI.create(m.group(1) + "/health/ready")).build(),
            BodyHandlers.ofString());
    assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
    final String models =
        http.send(
                HttpRequest.newBuilder(URI.create(m.group(1) + "/v1/models")).build(),
                BodyHandlers.ofString())
            .body();
    final Matcher id = Pattern.compile("\"id\":\"([^\"]+)\"").matcher(models);
    assertThat(id.find()).as(models).isTrue();
    assertThat(id.group(1))
        .as("the name README's example uses")
        .isEqualTo("goldfinch-shakespeare-L6-C256");
    final String description = ServedModels.description(DemoModels.require(ServedModels.DEMO_FILE));
    assertThat(description).contains("trained on Shakespeare").contains("not an assistant");
    assertThat(models).contains("\"description\":\"" + description + "\"");
    assertThat(out)
        .contains("OpenAI model name: \"goldfinch-shakespeare-L6-C256\"")
        .contains("Model:  " + description);
    final HttpResponse<String> chat =
        http.send(
            HttpRequest.newBuilder(URI.create(m.group(1) + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(
                    BodyPublishers.ofString(
                        "{\"model\":\""
                            + id.group(1)
                            + "\",\"max_tokens\":8,\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"))
                .build(),
            BodyHandlers.ofString());
    assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
    assertThat(chat.body())
        .contains("\"object\":\"chat.completion\"")
        .contains("\"completion_tokens\":");
  }

  private static String awaitBootstrap(final StringWriter out, final Future<Integer> exit)
      throws Exception {
    final Pattern kafka = Pattern.compile("Kafka:\\s+(localhost:\\d+)");
    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      final Matcher m = kafka.matcher(out.toString());
      if (m.find()) {
        return m.group(1);
      }
      if (exit.isDone()) {
        throw new AssertionError("up exited with " + exit.get() + ": " + out);
      }
      Thread.sleep(200);
    }
    throw new AssertionError("up did not report where to connect: " + out);
  }
}
