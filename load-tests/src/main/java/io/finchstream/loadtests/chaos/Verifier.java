package io.finchstream.loadtests.chaos;

import com.google.protobuf.InvalidProtocolBufferException;
import io.finchstream.engine.sampling.SamplingParams;
import io.finchstream.processors.LoadedModel;
import io.finchstream.processors.event.ChatFormat;
import io.finchstream.processors.event.EventValidator;
import io.finchstream.processors.testing.ChangelogReader;
import io.finchstream.processors.testing.DirectEngine;
import io.finchstream.processors.testing.Fingerprint;
import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.DeadLetter;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.Reply;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * The checks after a chaos run, against what Kafka holds (read_committed) and a direct engine run:
 *
 * <ul>
 *   <li>every message a client got 202 for is in its conversation's events exactly once, and no
 *       message is there twice;
 *   <li>nothing was dead-lettered;
 *   <li>every Generate has exactly one GenerationDone, no error, chunks numbered without gaps, and
 *       its tokens and text are those of a direct engine run over the conversation's events (a
 *       cancelled one: the tokens it got to);
 *   <li>every conversation's durable state (read back from the changelogs) equals the direct run,
 *       bit for bit;
 *   <li>no client saw a token twice or missed one: what each client streamed is, in order, the
 *       start of the reply (all of it when it saw the end).
 * </ul>
 */
final class Verifier {

  /** What the checks found; {@code failures} empty means every check held. */
  record Verdict(
      int conversations,
      int messagesAccepted,
      int messagesUncertain,
      int messagesUncertainApplied,
      int messagesRefused,
      int generations,
      Map<String, Integer> finishReasons,
      int streamsFinished,
      int streamsCutOff,
      int streamsRefused,
      int tokensStreamed,
      int deadLetters,
      List<String> failures) {}

  private static final int MAX_FAILURES = 200;

  private final LoadedModel model;
  private final List<String> failures = new ArrayList<>();

  Verifier(final LoadedModel model) {
    this.model = model;
  }

  /**
   * Checks everything; {@code replies} are every reply and dead letter of the run, {@code events}
   * every event by conversation ({@link #readEvents}), {@code changelogs} the stores' contents.
   */
  Verdict verify(
      final Map<String, ClientRecord> clients,
      final Map<String, List<ConversationEvent>> events,
      final List<Reply> replies,
      final List<DeadLetter> deadLetters,
      final ChangelogReader.Contents changelogs) {
    final Map<String, List<Reply>> byRequest = new HashMap<>();
    for (final Reply r : replies) {
      byRequest.computeIfAbsent(r.getRequestId(), k -> new ArrayList<>()).add(r);
    }
    for (final DeadLetter d : deadLetters) {
      fail(
          "dead letter "
              + d.getCode()
              + " for "
              + new String(d.getOriginalKey().toByteArray(), StandardCharsets.UTF_8)
              + ": "
              + d.getReason());
    }
    int accepted = 0;
    int uncertain = 0;
    int uncertainApplied = 0;
    int refused = 0;
    int generations = 0;
    final Map<String, Integer> reasons = new TreeMap<>();
    for (final ClientRecord client : clients.values()) {
      final List<ConversationEvent> conversation =
          events.getOrDefault(client.conversation, List.of());
      accepted += client.accepted.size();
      uncertain += client.maybe.size();
      refused += client.refused.size();
      for (final String r : client.refused) {
        fail(client.conversation + ": message refused: " + r);
      }
      uncertainApplied += checkMessages(client, conversation);
      generations += replay(client.conversation, conversation, byRequest, changelogs, reasons);
    }
    for (final String id : events.keySet()) {
      if (!clients.containsKey(id)) {
        fail("events for a conversation no client had: " + id);
      }
    }
    int finished = 0;
    int cutOff = 0;
    int streamRefused = 0;
    int tokens = 0;
    for (final ClientRecord client : clients.values()) {
      for (final ClientRecord.Streamed s : client.generations) {
        if (s.requestId == null || s.status != 200) {
          streamRefused++;
          continue;
        }
        tokens +=
            checkStream(client.conversation, s, byRequest.getOrDefault(s.requestId, List.of()));
        if (s.finished()) {
          finished++;
        } else {
          cutOff++;
        }
      }
    }
    return new Verdict(
        clients.size(),
        accepted,
        uncertain,
        uncertainApplied,
        refused,
        generations,
        reasons,
        finished,
        cutOff,
        streamRefused,
        tokens,
        deadLetters.size(),
        List.copyOf(failures));
  }

  /** Messages: accepted ones exactly once, uncertain ones at most once, nothing else. */
  private int checkMessages(final ClientRecord client, final List<ConversationEvent> events) {
    final Map<String, Integer> seen = new LinkedHashMap<>();
    for (final ConversationEvent e : events) {
      if (e.hasAppendText()) {
        final String text = e.getAppendText().getText();
        final int space = text.indexOf(' ');
        seen.merge(space < 0 ? text : text.substring(0, space), 1, Integer::sum);
      }
    }
    for (final String nonce : client.accepted) {
      final int n = seen.getOrDefault(nonce, 0);
      if (n != 1) {
        fail(
            client.conversation
                + ": accepted message "
                + nonce
                + " is in its events "
                + n
                + " times");
      }
    }
    int applied = 0;
    for (final String nonce : client.maybe) {
      final int n = seen.getOrDefault(nonce, 0);
      if (n > 1) {
        fail(client.conversation + ": message " + nonce + " is in its events " + n + " times");
      }
      applied += n;
    }
    for (final String nonce : seen.keySet()) {
      if (!client.accepted.contains(nonce) && !client.maybe.contains(nonce)) {
        fail(client.conversation + ": message " + nonce + " that no client sent");
      }
    }
    return applied;
  }

  /**
   * Replays one conversation's events through the engine, checking every generation's replies
   * against it and the durable state at the end; returns the Generates seen.
   */
  private int replay(
      final String id,
      final List<ConversationEvent> events,
      final Map<String, List<Reply>> byRequest,
      final ChangelogReader.Contents changelogs,
      final Map<String, Integer> reasons) {
    final DirectEngine direct = new DirectEngine(model.model(), model.tokenizer());
    int generations = 0;
    for (final ConversationEvent e : events) {
      switch (e.getEventCase()) {
        case APPEND_TEXT ->
            direct.appendText(
                ChatFormat.render(e.getAppendText().getRole(), e.getAppendText().getText()));
        case GENERATE -> {
          generations++;
          final Generate g = e.getGenerate();
          final String reason =
              checkGeneration(id, direct, g, byRequest.getOrDefault(g.getRequestId(), List.of()));
          reasons.merge(reason, 1, Integer::sum);
        }
        case CANCEL -> {
          // its effect is the cancelled generation's finish reason and length
        }
        default -> fail(id + ": an event the chaos clients never send: " + e.getEventCase());
      }
    }
    if (events.isEmpty()) {
      return 0;
    }
    final ConversationMeta meta = changelogs.durable().meta(id);
    if (meta == null) {
      fail(id + ": no durable metadata although it has events");
      return generations;
    }
    if (meta.getTokens() != direct.history().length) {
      fail(id + ": durable tokens " + meta.getTokens() + ", direct run " + direct.history().length);
      return generations;
    }
    final byte[] durable =
        Fingerprint.of(model.model(), changelogs.durable().rebuild(model.model(), id));
    if (!Arrays.equals(durable, Fingerprint.of(model.model(), direct.state()))) {
      fail(id + ": durable state differs from a direct run of its events");
    }
    return generations;
  }

  /** One Generate: its replies against a direct run; returns its finish reason. */
  private String checkGeneration(
      final String id, final DirectEngine direct, final Generate g, final List<Reply> replies) {
    final String request = g.getRequestId();
    final List<GenerationDone> done =
        replies.stream().filter(Reply::hasDone).map(Reply::getDone).toList();
    replies.stream()
        .filter(Reply::hasError)
        .forEach(r -> fail(id + "/" + request + ": error reply " + r.getError()));
    if (done.size() != 1) {
      fail(id + "/" + request + ": " + done.size() + " GenerationDone replies");
      return "missing";
    }
    if (!replies.get(replies.size() - 1).hasDone()) {
      fail(id + "/" + request + ": a reply after its GenerationDone");
    }
    final List<Integer> tokens = new ArrayList<>();
    int index = 0;
    for (final Reply r : replies) {
      if (r.hasChunk()) {
        if (r.getChunk().getIndex() != index) {
          fail(
              id
                  + "/"
                  + request
                  + ": chunk "
                  + r.getChunk().getIndex()
                  + " where "
                  + index
                  + " was due");
        }
        index++;
        tokens.addAll(r.getChunk().getTokenIdsList());
      }
    }
    final GenerationDone d = done.get(0);
    final boolean cancelled = d.getFinishReason() == FinishReason.FINISH_REASON_CANCELLED;
    final String reason =
        d.getFinishReason().name().replace("FINISH_REASON_", "").toLowerCase(Locale.ROOT);
    if (cancelled && d.getUsage().getConversationTokens() == 0) {
      // cancelled while it waited: never applied
      if (!tokens.isEmpty()) {
        fail(id + "/" + request + ": tokens of a generation cancelled before it started");
      }
      return reason + " (waiting)";
    }
    if (!g.getPrefixText().isEmpty()) {
      direct.appendText(g.getPrefixText());
    }
    if (cancelled && tokens.isEmpty()) {
      checkLength(id, request, direct, d);
      return reason;
    }
    final long seed =
        g.getSampling().hasSeed() ? g.getSampling().getSeed() : EventValidator.seedOf(request);
    final int max = cancelled ? tokens.size() : g.getMaxTokens();
    final SamplingParams params = EventValidator.samplingParams(g, max, seed).build();
    final DirectEngine.Generation expected = direct.generate(params);
    if (!Arrays.equals(tokens.stream().mapToInt(Integer::intValue).toArray(), expected.tokens())) {
      fail(
          id
              + "/"
              + request
              + ": tokens differ from a direct run ("
              + tokens.size()
              + " vs "
              + expected.tokens().length
              + ")");
    } else if (!cancelled) {
      if (!d.getText().equals(expected.text())) {
        fail(id + "/" + request + ": text differs from a direct run");
      }
      if (d.getFinishReason() != expected.reason()) {
        fail(
            id
                + "/"
                + request
                + ": finish reason "
                + d.getFinishReason()
                + ", direct run "
                + expected.reason());
      }
    }
    checkLength(id, request, direct, d);
    return reason;
  }

  private void checkLength(
      final String id, final String request, final DirectEngine direct, final GenerationDone d) {
    if (d.getUsage().getConversationTokens() != direct.history().length) {
      fail(
          id
              + "/"
              + request
              + ": conversation_tokens "
              + d.getUsage().getConversationTokens()
              + ", direct run "
              + direct.history().length);
    }
  }

  /**
   * One client's stream: numbered without gaps or repeats, its tokens the start of the reply's (all
   * of them when it saw the end), its text the start of the reply's; returns the tokens streamed.
   */
  private int checkStream(
      final String id, final ClientRecord.Streamed s, final List<Reply> replies) {
    final String where = id + "/" + s.requestId + " through " + s.gateway;
    final List<Integer> truth = new ArrayList<>();
    final StringBuilder truthText = new StringBuilder();
    for (final Reply r : replies) {
      if (r.hasChunk()) {
        truth.addAll(r.getChunk().getTokenIdsList());
        truthText.append(r.getChunk().getText());
      }
    }
    final List<Integer> seen = new ArrayList<>();
    final StringBuilder text = new StringBuilder();
    for (int i = 0; i < s.chunks.size(); i++) {
      final ClientRecord.Chunk c = s.chunks.get(i);
      if (c.index() != i) {
        fail(
            where
                + ": the client got chunk "
                + c.index()
                + " where "
                + i
                + " was due (a token repeated or lost)");
        return seen.size();
      }
      seen.addAll(c.tokenIds());
      text.append(c.text());
    }
    if (seen.size() > truth.size() || !truth.subList(0, seen.size()).equals(seen)) {
      fail(where + ": the client's tokens are not the start of the reply");
    } else if (s.finished() && seen.size() != truth.size()) {
      fail(
          where + ": the client saw the end but " + (truth.size() - seen.size()) + " tokens fewer");
    }
    if (!truthText.toString().startsWith(text.toString())) {
      fail(where + ": the client's text is not the start of the reply");
    }
    if (s.finished()) {
      final String doneText =
          replies.stream()
              .filter(Reply::hasDone)
              .map(r -> r.getDone().getText())
              .findFirst()
              .orElse(null);
      if (!s.doneText.equals(doneText)) {
        fail(where + ": the client's done text differs from the reply");
      }
    }
    return seen.size();
  }

  private void fail(final String failure) {
    if (failures.size() < MAX_FAILURES) {
      failures.add(failure);
    } else if (failures.size() == MAX_FAILURES) {
      failures.add("... (more failures not listed)");
    }
  }

  /** Where a Generate is in {@code finchstream.events}, and when the broker took it. */
  record Located(String conversation, int partition, long offset, long timestampMs) {}

  /** Every event of {@code finchstream.events} (read_committed), by conversation in order. */
  static Map<String, List<ConversationEvent>> readEvents(final Properties consumerProps) {
    return readEvents(consumerProps, new HashMap<>());
  }

  /**
   * Every event of {@code finchstream.events} (read_committed), by conversation in order; also puts
   * where each Generate is into {@code generates}, by request id.
   */
  static Map<String, List<ConversationEvent>> readEvents(
      final Properties consumerProps, final Map<String, Located> generates) {
    final Map<String, List<ConversationEvent>> out = new LinkedHashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps)) {
      final List<PartitionInfo> infos = consumer.partitionsFor(Topics.EVENTS);
      final List<TopicPartition> partitions =
          infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      final Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          final String key = new String(r.key(), StandardCharsets.UTF_8);
          try {
            final ConversationEvent event = ConversationEvent.parseFrom(r.value());
            out.computeIfAbsent(key, k -> new ArrayList<>()).add(event);
            if (event.hasGenerate()) {
              generates.put(
                  event.getGenerate().getRequestId(),
                  new Located(key, r.partition(), r.offset(), r.timestamp()));
            }
          } catch (final InvalidProtocolBufferException e) {
            throw new IllegalStateException("an event that does not parse at " + r.offset(), e);
          }
        }
      }
    }
    return out;
  }
}
