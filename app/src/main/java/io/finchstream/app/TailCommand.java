package io.finchstream.app;

import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.DeadLetter;
import io.finchstream.proto.v1.Reply;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code finchstream tail}: follows the replies (and dead letters) as they are committed. */
@Command(
    name = "tail",
    mixinStandardHelpOptions = true,
    description =
        "Print replies (token chunks, done, errors) and, with --dlq, dead letters, as they are committed.")
final class TailCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--bootstrap-servers",
      defaultValue = "localhost:9092",
      paramLabel = "HOST:PORT",
      description = "Kafka brokers. Default: ${DEFAULT-VALUE}.")
  String bootstrapServers;

  @Option(
      names = {"-c", "--conversation"},
      paramLabel = "ID",
      description = "Only this conversation.")
  String conversation;

  @Option(
      names = "--from-beginning",
      description = "Start at the oldest retained reply instead of now.")
  boolean fromBeginning;

  @Option(names = "--dlq", description = "Also print the dead-letter topic.")
  boolean dlq;

  @Option(
      names = "--max-messages",
      defaultValue = "0",
      paramLabel = "N",
      description = "Stop after N messages (0: never).")
  long maxMessages;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      description = "Stop after this long (default: never).")
  Integer timeoutSeconds;

  @Override
  public Integer call() throws Exception {
    final PrintWriter out = spec.commandLine().getOut();
    final List<String> topics = new ArrayList<>(List.of(Topics.REPLIES));
    if (dlq) {
      topics.add(Topics.DLQ);
    }
    final long[] seen = {0};
    try (ReplyFollower follower =
        fromBeginning
            ? ReplyFollower.fromBeginning(bootstrapServers, topics)
            : ReplyFollower.fromEnd(bootstrapServers, topics)) {
      follower.follow(
          new ReplyFollower.Handler() {
            @Override
            public boolean reply(final Reply reply) {
              if (conversation != null && !conversation.equals(reply.getConversationId())) {
                return true;
              }
              out.println(format(reply));
              out.flush();
              return maxMessages == 0 || ++seen[0] < maxMessages;
            }

            @Override
            public boolean deadLetter(final DeadLetter dl) {
              out.println(
                  String.format(
                      Locale.ROOT,
                      "DLQ %s: %s (from %s-%d@%d, key %s)",
                      dl.getCode(),
                      dl.getReason(),
                      dl.getSourceTopic(),
                      dl.getSourcePartition(),
                      dl.getSourceOffset(),
                      dl.getOriginalKey().toStringUtf8()));
              out.flush();
              return maxMessages == 0 || ++seen[0] < maxMessages;
            }
          },
          timeoutSeconds == null ? null : Duration.ofSeconds(timeoutSeconds));
    }
    return 0;
  }

  /** One line per reply. */
  static String format(final Reply r) {
    final String head = "[" + r.getConversationId() + " " + r.getRequestId() + "] ";
    return switch (r.getReplyCase()) {
      case CHUNK ->
          head
              + "chunk "
              + r.getChunk().getIndex()
              + ": "
              + quote(r.getChunk().getText())
              + " ("
              + r.getChunk().getTokenIdsCount()
              + " tokens)";
      case DONE ->
          head
              + "done "
              + r.getDone()
                  .getFinishReason()
                  .name()
                  .replace("FINISH_REASON_", "")
                  .toLowerCase(Locale.ROOT)
              + ", "
              + r.getDone().getUsage().getCompletionTokens()
              + " tokens: "
              + quote(r.getDone().getText());
      case ERROR -> head + "error " + r.getError().getCode() + ": " + r.getError().getMessage();
      default -> head + "(unknown reply type)";
    };
  }

  private static String quote(final String s) {
    return '"' + s.replace("\\", "\\\\").replace("\n", "\\n").replace("\"", "\\\"") + '"';
  }
}
