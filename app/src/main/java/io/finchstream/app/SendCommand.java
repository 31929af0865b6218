package io.finchstream.app;

import io.finchstream.processors.ConversationPartitioner;
import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.AppendText;
import io.finchstream.proto.v1.AppendTokens;
import io.finchstream.proto.v1.CancelGeneration;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.Delete;
import io.finchstream.proto.v1.Fork;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.Reset;
import io.finchstream.proto.v1.Rewind;
import io.finchstream.proto.v1.Role;
import io.finchstream.proto.v1.SamplingParams;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code finchstream send}: appends text (or tokens) to a conversation, optionally forks, resets,
 * deletes or cancels, and optionally requests a generation and prints the reply as it streams.
 */
@Command(
    name = "send",
    mixinStandardHelpOptions = true,
    description = {
      "Send events to a conversation, in this order: --rewind, append TEXT (or --tokens), --fork",
      "(--at-message), --reset, --delete, --cancel, then --generate. With --generate the reply is",
      "printed as it streams (read_committed).",
      "Example: finchstream send --conversation demo --generate \"What is a finch?\"",
      "Regenerate the 4th message (a reply): finchstream send -c demo --rewind 3 --generate"
    })
final class SendCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--bootstrap-servers",
      defaultValue = "localhost:9092",
      paramLabel = "HOST:PORT",
      description = "Kafka brokers. Default: ${DEFAULT-VALUE}.")
  String bootstrapServers;

  @Option(
      names = {"-c", "--conversation"},
      required = true,
      paramLabel = "ID",
      description = "Conversation id.")
  String conversation;

  @Parameters(
      arity = "0..*",
      paramLabel = "TEXT",
      description = "Text to append (words are joined with spaces).")
  List<String> text = new ArrayList<>();

  @Option(
      names = "--role",
      defaultValue = "user",
      paramLabel = "ROLE",
      description =
          "Who speaks TEXT: user, assistant, system or raw (text as is). Default: ${DEFAULT-VALUE}.")
  String role;

  @Option(
      names = "--tokens",
      split = ",",
      paramLabel = "ID",
      description = "Token ids to append instead of text.")
  List<Integer> tokens;

  @Option(
      names = "--fork",
      paramLabel = "NEW_ID",
      description = "Fork the conversation into a new one.")
  String fork;

  @Option(
      names = "--at-message",
      paramLabel = "N",
      description = "With --fork: the new conversation holds the first N messages only.")
  Long atMessage;

  @Option(
      names = "--rewind",
      paramLabel = "N",
      description = "Go back to the turn after the first N messages (0: the empty conversation).")
  Long rewind;

  @Option(names = "--reset", description = "Reset the conversation to the empty state.")
  boolean reset;

  @Option(names = "--delete", description = "Delete the conversation.")
  boolean delete;

  @Option(
      names = "--cancel",
      paramLabel = "REQUEST_ID",
      description = "Cancel a running generation.")
  String cancel;

  @Option(
      names = {"-g", "--generate"},
      description = "Request a generation and print the reply.")
  boolean generate;

  @Option(
      names = "--request-id",
      paramLabel = "ID",
      description = "Request id of the generation (default: random).")
  String requestId;

  @Option(
      names = "--prefix",
      paramLabel = "TEXT",
      description =
          "Text appended right before generating (default: \"Assistant:\" after user text or"
              + " --rewind, else none).")
  String prefix;

  @Option(
      names = "--max-tokens",
      defaultValue = "0",
      paramLabel = "N",
      description = "Most tokens to generate (0: the server default).")
  int maxTokens;

  @Option(
      names = "--temperature",
      paramLabel = "T",
      description = "Sampling temperature (0: greedy).")
  Float temperature;

  @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling mass in (0, 1].")
  Float topP;

  @Option(
      names = "--seed",
      paramLabel = "S",
      description = "Sampler seed (default: derived from the request id).")
  Long seed;

  @Option(names = "--stop", paramLabel = "TEXT", description = "Stop string (repeatable).")
  List<String> stop = new ArrayList<>();

  @Option(names = "--no-follow", description = "Do not wait for the reply.")
  boolean noFollow;

  @Option(
      names = "--timeout",
      defaultValue = "300",
      paramLabel = "SECONDS",
      description = "Give up waiting after this long. Default: ${DEFAULT-VALUE}.")
  int timeoutSeconds;

  @Override
  public Integer call() throws Exception {
    final List<ConversationEvent> events = events();
    if (events.isEmpty()) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "nothing to send: give TEXT, --tokens, --rewind, --fork, --reset, --delete, --cancel or"
              + " --generate");
    }
    final PrintWriter out = spec.commandLine().getOut();
    final PrintWriter err = spec.commandLine().getErr();
    final boolean follow = generate && !noFollow;
    try (ReplyFollower replies =
            follow ? ReplyFollower.fromEnd(bootstrapServers, List.of(Topics.REPLIES)) : null;
        KafkaProducer<byte[], byte[]> producer = producer()) {
      for (final ConversationEvent e : events) {
        producer
            .send(
                new ProducerRecord<>(
                    Topics.EVENTS, conversation.getBytes(StandardCharsets.UTF_8), e.toByteArray()))
            .get();
      }
      if (!follow) {
        err.println("sent " + events.size() + " event(s) to " + conversation);
        err.flush();
        return 0;
      }
      final String id = events.get(events.size() - 1).getGenerate().getRequestId();
      final int[] exit = {1};
      final boolean finished =
          replies.follow(
              reply -> {
                if (!reply.getRequestId().equals(id)
                    || !reply.getConversationId().equals(conversation)) {
                  return true;
                }
                return print(reply, out, err, exit);
              },
              Duration.ofSeconds(timeoutSeconds));
      if (!finished) {
        err.println(
            "finchstream send: no complete reply to " + id + " within " + timeoutSeconds + " s");
        err.flush();
        return 1;
      }
      return exit[0];
    }
  }

  private static boolean print(
      final Reply reply, final PrintWriter out, final PrintWriter err, final int[] exit) {
    return switch (reply.getReplyCase()) {
      case CHUNK -> {
        out.print(reply.getChunk().getText());
        out.flush();
        yield true;
      }
      case DONE -> {
        out.println();
        out.flush();
        err.println(
            String.format(
                Locale.ROOT,
                "[%s: %d prompt + %d generated tokens; conversation has %d]",
                reply
                    .getDone()
                    .getFinishReason()
                    .name()
                    .replace("FINISH_REASON_", "")
                    .toLowerCase(Locale.ROOT),
                reply.getDone().getUsage().getPromptTokens(),
                reply.getDone().getUsage().getCompletionTokens(),
                reply.getDone().getUsage().getConversationTokens()));
        err.flush();
        exit[0] = 0;
        yield false;
      }
      case ERROR -> {
        err.println(
            "finchstream send: error "
                + reply.getError().getCode()
                + ": "
                + reply.getError().getMessage());
        err.flush();
        exit[0] = 1;
        yield false;
      }
      default -> true;
    };
  }

  /** The events to send, in order. */
  List<ConversationEvent> events() {
    final List<ConversationEvent> events = new ArrayList<>();
    final Role r = role();
    if (rewind != null) {
      if (rewind < 0) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--rewind must be >= 0");
      }
      events.add(event().setRewind(Rewind.newBuilder().setToMessage(rewind)).build());
    }
    if (tokens != null && !tokens.isEmpty()) {
      events.add(event().setAppendTokens(AppendTokens.newBuilder().addAllIds(tokens)).build());
    } else if (!text.isEmpty()) {
      events.add(
          event()
              .setAppendText(AppendText.newBuilder().setText(String.join(" ", text)).setRole(r))
              .build());
    }
    if (atMessage != null && fork == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--at-message needs --fork");
    }
    if (fork != null) {
      final Fork.Builder f = Fork.newBuilder().setNewConversationId(fork);
      if (atMessage != null) {
        if (atMessage < 0) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--at-message must be >= 0");
        }
        f.setAtMessage(atMessage);
      }
      events.add(event().setFork(f).build());
    }
    if (reset) {
      events.add(event().setReset(Reset.getDefaultInstance()).build());
    }
    if (delete) {
      events.add(event().setDelete(Delete.getDefaultInstance()).build());
    }
    if (cancel != null) {
      events.add(event().setCancel(CancelGeneration.newBuilder().setRequestId(cancel)).build());
    }
    if (generate) {
      final SamplingParams.Builder sampling = SamplingParams.newBuilder();
      if (temperature != null) {
        sampling.setTemperature(temperature);
      }
      if (topP != null) {
        sampling.setTopP(topP);
      }
      if (seed != null) {
        sampling.setSeed(seed);
      }
      // a reply follows user text, and a regenerated one (--rewind without text) is a reply too
      final boolean reply =
          r == Role.ROLE_USER
              && (tokens == null || tokens.isEmpty())
              && (!text.isEmpty() || rewind != null);
      final String pre = prefix != null ? prefix : (reply ? "Assistant:" : "");
      events.add(
          event()
              .setGenerate(
                  Generate.newBuilder()
                      .setRequestId(requestId != null ? requestId : "cli-" + UUID.randomUUID())
                      .setMaxTokens(maxTokens)
                      .addAllStop(stop)
                      .setPrefixText(pre)
                      .setSampling(sampling))
              .build());
    }
    return events;
  }

  private Role role() {
    return switch (role.toLowerCase(Locale.ROOT)) {
      case "user" -> Role.ROLE_USER;
      case "assistant" -> Role.ROLE_ASSISTANT;
      case "system" -> Role.ROLE_SYSTEM;
      case "raw" -> Role.ROLE_RAW;
      default ->
          throw new CommandLine.ParameterException(
              spec.commandLine(), "--role must be user, assistant, system or raw, got " + role);
    };
  }

  private static ConversationEvent.Builder event() {
    return ConversationEvent.newBuilder()
        .setSchemaVersion(1)
        .setEventId(UUID.randomUUID().toString())
        .setCreatedAtMs(System.currentTimeMillis());
  }

  private KafkaProducer<byte[], byte[]> producer() {
    final Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.putAll(ConversationPartitioner.PRODUCER_SETTING);
    return new KafkaProducer<>(p);
  }
}
