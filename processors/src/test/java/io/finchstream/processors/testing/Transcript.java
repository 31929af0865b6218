package io.finchstream.processors.testing;

import com.google.protobuf.ByteString;
import io.finchstream.engine.LanguageModel;
import io.finchstream.engine.tokenizer.Tokenizer;
import io.finchstream.processors.event.ChatFormat;
import io.finchstream.proto.MessageHistory;
import io.finchstream.proto.v1.Role;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The oracle of the conversation-tree tests: a conversation's visible messages (what a client
 * appended, and the replies it got), with their tokens, independently of the service. Its state is
 * a direct replay of the messages ({@link #replay}); its digest is {@link MessageHistory}'s.
 * Immutable: every change returns a new transcript.
 */
public final class Transcript {

  /**
   * One message.
   *
   * @param role its role (UNSPECIFIED for raw tokens)
   * @param text its text (the reply text for replies), or null for raw tokens
   * @param tokens every token it put into the conversation (a reply: prefix and generated tokens)
   */
  @SuppressWarnings("ArrayRecordComponent") // read by index, never compared or hashed
  public record Message(Role role, String text, int[] tokens) {}

  private final List<Message> messages;

  public Transcript() {
    this(List.of());
  }

  private Transcript(final List<Message> messages) {
    this.messages = List.copyOf(messages);
  }

  public List<Message> messages() {
    return messages;
  }

  public int size() {
    return messages.size();
  }

  private Transcript with(final Message m) {
    final List<Message> next = new ArrayList<>(messages);
    next.add(m);
    return new Transcript(next);
  }

  /** An AppendText, rendered and tokenized as the processors do. */
  public Transcript text(final Tokenizer tokenizer, final Role role, final String text) {
    return with(new Message(role, text, tokenizer.encode(ChatFormat.render(role, text))));
  }

  /** An AppendTokens. */
  public Transcript tokens(final int... ids) {
    return with(new Message(Role.ROLE_UNSPECIFIED, null, ids.clone()));
  }

  /** A finished (or cancelled) reply: its prefix tokens, generated tokens and text. */
  public Transcript reply(final int[] prefix, final int[] generated, final String text) {
    return with(
        new Message(
            Role.ROLE_ASSISTANT,
            text,
            IntStream.concat(Arrays.stream(prefix), Arrays.stream(generated)).toArray()));
  }

  /** The first {@code n} messages. */
  public Transcript first(final int n) {
    return new Transcript(messages.subList(0, n));
  }

  /** Token position after the first {@code n} messages. */
  public long position(final int n) {
    long p = 0;
    for (int i = 0; i < n; i++) {
      p += messages.get(i).tokens().length;
    }
    return p;
  }

  /** Every token, in order. */
  public int[] tokens() {
    return messages.stream().flatMapToInt(m -> Arrays.stream(m.tokens())).toArray();
  }

  /** The running digest the service keeps. */
  public ByteString digest() {
    ByteString d = ByteString.EMPTY;
    for (final Message m : messages) {
      d =
          m.text() == null
              ? MessageHistory.appendTokens(d, Arrays.stream(m.tokens()).boxed().toList())
              : MessageHistory.appendText(d, m.role(), m.text());
    }
    return d;
  }

  /** A direct engine that ingested every message, one call each. */
  public DirectEngine replay(final LanguageModel model, final Tokenizer tokenizer) {
    final DirectEngine d = new DirectEngine(model, tokenizer);
    for (final Message m : messages) {
      if (m.tokens().length > 0) {
        d.append(m.tokens());
      }
    }
    return d;
  }
}
