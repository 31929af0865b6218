package io.finchstream.gateway.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.finchstream.gateway.ConversationDirectory;
import io.finchstream.gateway.ConversationLookup;
import io.finchstream.gateway.StoredMessage;
import io.finchstream.processors.testing.KafkaTestCluster;
import io.finchstream.proto.MessageHistory;
import io.finchstream.proto.Topics;
import io.finchstream.proto.v1.ConversationEvent;
import io.finchstream.proto.v1.ConversationMeta;
import io.finchstream.proto.v1.Error;
import io.finchstream.proto.v1.FinishReason;
import io.finchstream.proto.v1.Generate;
import io.finchstream.proto.v1.GenerationDone;
import io.finchstream.proto.v1.LiveToken;
import io.finchstream.proto.v1.Reply;
import io.finchstream.proto.v1.TokenChunk;
import io.finchstream.proto.v1.Usage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.LoggerFactory;

/**
 * A stand-in for the processors in gateway tests that are about the gateway's HTTP behaviour
 * (backpressure, cancellation, errors), not about inference: it reads the events topic of a real
 * Kafka cluster and answers Generates with a scripted reply on the replies topic, one chunk per
 * character (or per {@code chunkChars} characters), keeping metadata, including the message
 * history, the way events.proto and state.proto describe. Tokens are counted as UTF-8 bytes of the
 * rendered text (a byte-level model). The end-to-end tests run the real processors instead.
 */
public final class ScriptedProcessors implements ConversationDirectory, AutoCloseable {

  /** What a generation answers: the reply text for a conversation. */
  private volatile String script = " Hello there, friend!";

  private volatile int chunkChars = 1;
  private volatile CountDownLatch gate = new CountDownLatch(0);
  private volatile Error failure;
  private volatile long chunkDelayMs;
  private volatile boolean live;
  private volatile CountDownLatch commitGate = new CountDownLatch(0);
  private final Map<String, Integer> shownAtCancel = new ConcurrentHashMap<>();

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> producer;
  private final Map<String, ConversationMeta> metas = new ConcurrentHashMap<>();
  private final Map<String, List<StoredMessage>> stored = new ConcurrentHashMap<>();
  private final Map<String, Integer> generating = new ConcurrentHashMap<>();
  private final Map<String, String> cancelled = new ConcurrentHashMap<>();
  private final List<ConversationEvent> seen = new CopyOnWriteArrayList<>();
  private final Map<String, String> conversationOfEvent = new ConcurrentHashMap<>();
  private final Thread thread;
  private final ExecutorService generations = Executors.newCachedThreadPool();
  private volatile boolean running = true;

  public ScriptedProcessors(final KafkaTestCluster cluster) {
    final Properties c = cluster.consumerProps();
    this.consumer = new KafkaConsumer<>(c);
    final Properties p = cluster.producerProps();
    p.put("max.request.size", 32 << 20);
    this.producer = new KafkaProducer<>(p);
    consumer.subscribe(List.of(Topics.EVENTS));
    this.thread = new Thread(this::run, "scripted-processors");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /**
   * Every generation answers {@code text}, {@code chunkChars} characters per chunk, {@code delayMs}
   * apart.
   */
  public void script(final String text, final int chunkChars, final long delayMs) {
    this.script = text;
    this.chunkChars = chunkChars;
    this.chunkDelayMs = delayMs;
  }

  /** Generations wait (read, but unanswered) until {@link #release}. */
  public void hold() {
    gate = new CountDownLatch(1);
  }

  /** Generations held by {@link #hold} go on. */
  public void release() {
    gate.countDown();
  }

  /**
   * With {@code on}, every generation also publishes each of its draws (one per UTF-8 byte: a byte
   * that does not complete a character has no text) to the live-token topic at once, ahead of the
   * committed chunks, which wait for {@link #releaseCommits} after {@link #holdCommits}. A
   * cancelled generation then answers the draws its canceller had shown
   * (CancelGeneration.shown_tokens).
   */
  public void live(final boolean on) {
    this.live = on;
  }

  /** Committed replies of live generations wait (their live draws flow) until released. */
  public void holdCommits() {
    commitGate = new CountDownLatch(1);
  }

  /** Committed replies held by {@link #holdCommits} go on. */
  public void releaseCommits() {
    commitGate.countDown();
  }

  /** The shown_tokens of the cancel of {@code requestId}, or -1 if it was not cancelled. */
  public int shownAtCancel(final String requestId) {
    return shownAtCancel.getOrDefault(requestId, -1);
  }

  /** Every generation answers this error instead of a reply (null: reply again). */
  public void failWith(final Error error) {
    this.failure = error;
  }

  /** Every event read so far, in order. */
  public List<ConversationEvent> events() {
    return List.copyOf(seen);
  }

  /** The conversation an event (by event id) was written to, or "". */
  public String conversationOf(final String eventId) {
    return conversationOfEvent.getOrDefault(eventId, "");
  }

  /** Request ids of cancelled generations. */
  public boolean wasCancelled(final String requestId) {
    return cancelled.containsKey(requestId);
  }

  @Override
  public synchronized ConversationLookup lookup(final String conversationId) {
    final ConversationMeta meta = metas.get(conversationId);
    return meta == null
        ? new ConversationLookup.NotFound()
        : new ConversationLookup.Found(meta, generating.containsKey(conversationId));
  }

  @Override
  public synchronized ConversationLookup messages(
      final String conversationId, final long from, final int limit) {
    final ConversationMeta meta = metas.get(conversationId);
    if (meta == null) {
      return new ConversationLookup.NotFound();
    }
    final List<StoredMessage> all = stored.getOrDefault(conversationId, List.of());
    final int start = (int) Math.min(from, all.size());
    return new ConversationLookup.Messages(
        meta,
        generating.containsKey(conversationId),
        List.copyOf(all.subList(start, Math.min(all.size(), start + limit))));
  }

  @Override
  public synchronized List<ConversationLookup.Listed> listLocal(
      final String prefix, final String after, final int limit) {
    return metas.keySet().stream()
        .filter(k -> k.startsWith(prefix) && k.indexOf('/', prefix.length()) < 0)
        .filter(k -> k.compareTo(prefix + after) > 0)
        .sorted()
        .limit(limit)
        .map(k -> new ConversationLookup.Listed(k, metas.get(k), generating.containsKey(k)))
        .toList();
  }

  /** Records a message the way the processors do: one stored message, the running digest. */
  private void record(
      final String id,
      final ConversationMeta.Builder meta,
      final String role,
      final String text,
      final long tokens) {
    final List<StoredMessage> list = stored.computeIfAbsent(id, k -> new ArrayList<>());
    list.add(
        new StoredMessage(
            list.size(),
            role,
            text,
            false,
            tokens,
            meta.getTokens(),
            HexFormat.of().formatHex(meta.getMessageDigest().toByteArray()),
            true,
            true));
  }

  private void run() {
    while (running) {
      for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
        try {
          final ConversationEvent event = ConversationEvent.parseFrom(r.value());
          conversationOfEvent.put(event.getEventId(), new String(r.key(), StandardCharsets.UTF_8));
          seen.add(event);
          apply(new String(r.key(), StandardCharsets.UTF_8), event, r);
        } catch (final InvalidProtocolBufferException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    consumer.close();
  }

  private synchronized void apply(
      final String id, final ConversationEvent event, final ConsumerRecord<byte[], byte[]> r) {
    final ConversationMeta.Builder meta =
        metas.containsKey(id)
            ? metas.get(id).toBuilder()
            : ConversationMeta.newBuilder().setModelId("scripted");
    meta.setLastTopic(r.topic())
        .setLastPartition(r.partition())
        .setLastOffset(r.offset())
        .setEventsApplied(meta.getEventsApplied() + 1);
    switch (event.getEventCase()) {
      case APPEND_TEXT -> {
        final int tokens =
            rendered(event.getAppendText().getRole().getNumber(), event.getAppendText().getText());
        meta.setTokens(meta.getTokens() + tokens);
        MessageHistory.recordText(
            meta, event.getAppendText().getRole(), event.getAppendText().getText());
        record(
            id,
            meta,
            event.getAppendText().getRole().name().replace("ROLE_", "").toLowerCase(Locale.ROOT),
            event.getAppendText().getText(),
            tokens);
      }
      case APPEND_TOKENS -> {
        meta.setTokens(meta.getTokens() + event.getAppendTokens().getIdsCount());
        MessageHistory.recordTokens(meta, event.getAppendTokens().getIdsList());
        record(id, meta, "tokens", "", event.getAppendTokens().getIdsCount());
      }
      case REWIND -> {
        final List<StoredMessage> list = stored.computeIfAbsent(id, k -> new ArrayList<>());
        final int n = (int) Math.min(event.getRewind().getToMessage(), list.size());
        list.subList(n, list.size()).clear();
        meta.setMessages(n)
            .setTokens(list.stream().mapToLong(StoredMessage::tokens).sum())
            .setMessageDigest(
                n == 0
                    ? ByteString.EMPTY
                    : ByteString.copyFrom(HexFormat.of().parseHex(list.get(n - 1).digestHex())));
      }
      case FORK -> {
        metas.put(
            event.getFork().getNewConversationId(),
            meta.build().toBuilder().setForkedFrom(id).build());
        stored.put(
            event.getFork().getNewConversationId(),
            new ArrayList<>(stored.getOrDefault(id, List.of())));
      }
      case DELETE -> {
        metas.remove(id);
        stored.remove(id);
        return;
      }
      case RESERVE_FORK -> {
        if (!metas.containsKey(id)) {
          return; // a reservation creates nothing (these processors apply a Fork at once)
        }
      }
      case CANCEL -> {
        shownAtCancel.put(event.getCancel().getRequestId(), event.getCancel().getShownTokens());
        cancelled.put(event.getCancel().getRequestId(), id);
      }
      case GENERATE -> {
        final Generate g = event.getGenerate();
        generating.merge(id, 1, Integer::sum);
        meta.setLastRequestId(g.getRequestId());
        generations.execute(
            () -> {
              try {
                generate(id, g);
              } catch (final RuntimeException e) {
                LoggerFactory.getLogger(ScriptedProcessors.class)
                    .error("scripted generation of {} failed", id, e);
              }
            });
      }
      default -> {}
    }
    metas.put(id, meta.build());
  }

  private void generate(final String id, final Generate g) {
    try {
      gate.await();
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    final Error error = failure;
    if (error != null) {
      send(id, base(id, g).setError(error).build());
      return;
    }
    final String script = this.script;
    final String text =
        script.length() > g.getMaxTokens() ? script.substring(0, g.getMaxTokens()) : script;
    final FinishReason reason =
        script.length() > g.getMaxTokens()
            ? FinishReason.FINISH_REASON_LENGTH
            : FinishReason.FINISH_REASON_STOP;
    final int prompt = g.getPrefixText().getBytes(StandardCharsets.UTF_8).length;
    if (live) {
      generateLive(id, g, text, reason, prompt);
      return;
    }
    int index = 0;
    final StringBuilder sent = new StringBuilder();
    for (int i = 0; i < text.length(); i += chunkChars) {
      if (cancelled.containsKey(g.getRequestId())) {
        finish(id, g, sent.toString(), FinishReason.FINISH_REASON_CANCELLED, prompt);
        return;
      }
      final String piece = text.substring(i, Math.min(text.length(), i + chunkChars));
      final TokenChunk.Builder chunk = TokenChunk.newBuilder().setIndex(index++).setText(piece);
      for (final byte b : piece.getBytes(StandardCharsets.UTF_8)) {
        chunk.addTokenIds(b & 0xff);
      }
      send(id, base(id, g).setChunk(chunk).build());
      sent.append(piece);
      sleep(chunkDelayMs);
    }
    finish(id, g, sent.toString(), reason, prompt);
  }

  /**
   * Live mode: every draw to the live-token topic first ({@code chunkDelayMs} apart), then, once
   * commits are released, the committed chunks ({@code chunkChars} characters each) and the done.
   */
  private void generateLive(
      final String id,
      final Generate g,
      final String text,
      final FinishReason reason,
      final int prompt) {
    final List<String> drawTexts = new ArrayList<>();
    final List<Integer> drawTokens = new ArrayList<>();
    text.codePoints()
        .forEach(
            cp -> {
              final byte[] bytes =
                  new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
              for (int b = 0; b < bytes.length; b++) {
                drawTokens.add(bytes[b] & 0xff);
                drawTexts.add(b == bytes.length - 1 ? new String(Character.toChars(cp)) : "");
              }
            });
    int offset = 0;
    for (int i = 0; i < drawTokens.size(); i++) {
      final LiveToken token =
          LiveToken.newBuilder()
              .setSchemaVersion(1)
              .setConversationId(id)
              .setRequestId(g.getRequestId())
              .setReplyTo(g.getReplyTo())
              .setIndex(i)
              .setTokenId(drawTokens.get(i))
              .setText(drawTexts.get(i))
              .setTextOffset(offset)
              .setSampledAtUs(System.currentTimeMillis() * 1000)
              .build();
      offset += drawTexts.get(i).codePointCount(0, drawTexts.get(i).length());
      sendLive(id, token);
      sleep(chunkDelayMs);
    }
    try {
      commitGate.await();
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    final int shown = shownAtCancel.getOrDefault(g.getRequestId(), -1);
    final int draws = shown >= 0 ? Math.min(shown, drawTokens.size()) : drawTokens.size();
    final StringBuilder sent = new StringBuilder();
    int index = 0;
    for (int from = 0; from < draws; from += chunkChars) {
      final TokenChunk.Builder chunk = TokenChunk.newBuilder().setIndex(index++);
      final StringBuilder piece = new StringBuilder();
      for (int i = from; i < Math.min(draws, from + chunkChars); i++) {
        chunk.addTokenIds(drawTokens.get(i));
        piece.append(drawTexts.get(i));
      }
      send(id, base(id, g).setChunk(chunk.setText(piece.toString())).build());
      sent.append(piece);
    }
    finish(
        id, g, sent.toString(), shown >= 0 ? FinishReason.FINISH_REASON_CANCELLED : reason, prompt);
  }

  @SuppressWarnings("FutureReturnValueIgnored") // the callback logs a failed write
  private void sendLive(final String id, final LiveToken token) {
    producer.send(
        new ProducerRecord<>(
            Topics.TOKENS, id.getBytes(StandardCharsets.UTF_8), token.toByteArray()),
        (md, e) -> {
          if (e != null) {
            LoggerFactory.getLogger(ScriptedProcessors.class)
                .error("a scripted live token for {} was not written", id, e);
          }
        });
  }

  private static void sleep(final long ms) {
    if (ms <= 0) {
      return;
    }
    try {
      Thread.sleep(ms);
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void finish(
      final String id,
      final Generate g,
      final String text,
      final FinishReason reason,
      final int prompt) {
    final int completion = text.getBytes(StandardCharsets.UTF_8).length;
    final long total;
    synchronized (this) {
      final ConversationMeta.Builder meta =
          metas.containsKey(id) ? metas.get(id).toBuilder() : ConversationMeta.newBuilder();
      meta.setTokens(meta.getTokens() + prompt + completion)
          .setGenerationsFinished(meta.getGenerationsFinished() + 1);
      MessageHistory.recordReply(meta, text);
      record(id, meta, "assistant", text, prompt + completion);
      metas.put(id, meta.build());
      total = meta.getTokens();
      generating.computeIfPresent(id, (k, n) -> n > 1 ? n - 1 : null);
    }
    send(
        id,
        base(id, g)
            .setDone(
                GenerationDone.newBuilder()
                    .setFinishReason(reason)
                    .setText(text)
                    .setUsage(
                        Usage.newBuilder()
                            .setPromptTokens(prompt)
                            .setCompletionTokens(completion)
                            .setConversationTokens(total)))
            .build());
  }

  private static int rendered(final int role, final String text) {
    final String prefix =
        switch (role) {
          case 2 -> "User: ";
          case 3 -> "Assistant: ";
          case 4 -> "System: ";
          default -> "";
        };
    return (prefix + text + (prefix.isEmpty() ? "" : "\n\n"))
        .getBytes(StandardCharsets.UTF_8)
        .length;
  }

  private static Reply.Builder base(final String id, final Generate g) {
    return Reply.newBuilder()
        .setSchemaVersion(1)
        .setConversationId(id)
        .setRequestId(g.getRequestId())
        .setReplyTo(g.getReplyTo());
  }

  @SuppressWarnings("FutureReturnValueIgnored") // the callback logs a failed write
  private void send(final String id, final Reply reply) {
    producer.send(
        new ProducerRecord<>(
            Topics.REPLIES, id.getBytes(StandardCharsets.UTF_8), reply.toByteArray()),
        (md, e) -> {
          if (e != null) {
            LoggerFactory.getLogger(ScriptedProcessors.class)
                .error("a scripted reply for {} was not written", id, e);
          }
        });
  }

  @Override
  public void close() {
    running = false;
    try {
      thread.join(5_000);
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    generations.shutdownNow();
    producer.close();
  }
}
