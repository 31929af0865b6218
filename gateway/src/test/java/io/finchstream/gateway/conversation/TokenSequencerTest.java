package io.finchstream.gateway.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import io.finchstream.proto.v1.LiveToken;
import io.finchstream.proto.v1.TokenChunk;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The sequencer against every way the two sources can arrive: live draws repeated (a new owner
 * draws again from its last commit), dropped, late, out of order, before or after the commit that
 * holds them; committed chunks at any draw boundary, with the text a cancel or an end flushes.
 * Whatever the interleaving, the client must see each token once, in order, with the reply's text
 * exactly, and never more than the reply holds.
 */
class TokenSequencerTest {

  /** One draw of a reply: its token (-1 for a final stop token) and the text it made final. */
  private record Draw(int token, String text) {}

  /** A reply: its draws, and the text flushed at its end that no draw carries. */
  private record Reply(List<Draw> draws, String flush) {

    String text() {
      final StringBuilder sb = new StringBuilder();
      draws.forEach(d -> sb.append(d.text()));
      return sb.append(flush).toString();
    }

    List<Integer> tokens() {
      return draws.stream().map(Draw::token).filter(t -> t >= 0).toList();
    }

    LiveToken live(final int i) {
      int offset = 0;
      for (int k = 0; k < i; k++) {
        offset += draws.get(k).text().codePointCount(0, draws.get(k).text().length());
      }
      final LiveToken.Builder b =
          LiveToken.newBuilder()
              .setIndex(i)
              .setText(draws.get(i).text())
              .setTextOffset(offset)
              .setSampledAtUs(1);
      if (draws.get(i).token() >= 0) {
        b.setTokenId(draws.get(i).token());
      }
      return b.build();
    }

    /** The committed chunks for draw boundaries {@code cuts} (ascending, last = draws.size()). */
    List<TokenChunk> chunks(final List<Integer> cuts) {
      final List<TokenChunk> chunks = new ArrayList<>();
      int from = 0;
      for (final int to : cuts) {
        final TokenChunk.Builder c = TokenChunk.newBuilder().setIndex(chunks.size());
        final StringBuilder text = new StringBuilder();
        for (int k = from; k < to; k++) {
          if (draws.get(k).token() >= 0) {
            c.addTokenIds(draws.get(k).token());
          }
          text.append(draws.get(k).text());
        }
        if (to == draws.size()) {
          text.append(flush);
        }
        chunks.add(c.setText(text.toString()).build());
        from = to;
      }
      return chunks;
    }
  }

  /** What the client saw. */
  private static final class Client {
    final StringBuilder text = new StringBuilder();
    final List<Integer> tokens = new ArrayList<>();

    void take(final TokenSequencer.Delivery d) {
      if (d == null) {
        return;
      }
      text.append(d.text());
      for (final int t : d.tokenIds()) {
        tokens.add(t);
      }
    }
  }

  private static final String[] PIECES = {
    "a", " the", "", "\n", "é", "😀", "\uD83D\uDE00\uD83D\uDE00", "xyz", "", " ", "日本"
  };

  private static Reply randomReply(final Random r) {
    final List<Draw> draws = new ArrayList<>();
    final int n = 1 + r.nextInt(30);
    for (int i = 0; i < n; i++) {
      draws.add(new Draw(1 + r.nextInt(255), PIECES[r.nextInt(PIECES.length)]));
    }
    final int ending = r.nextInt(3);
    if (ending == 0) {
      draws.add(new Draw(-1, PIECES[r.nextInt(PIECES.length)])); // ended by a stop token
    }
    return new Reply(draws, ending == 1 ? PIECES[r.nextInt(PIECES.length)] : "");
  }

  @Test
  void shouldShowEveryTokenOnceInOrderWhateverTheInterleaving() {
    final Random r = new Random(13);
    for (int trial = 0; trial < 20_000; trial++) {
      final Reply reply = randomReply(r);
      final int draws = reply.draws().size();
      final List<Integer> cuts = new ArrayList<>();
      for (int k = 1; k < draws; k++) {
        if (r.nextInt(4) == 0) {
          cuts.add(k);
        }
      }
      cuts.add(draws);
      // Live draws as a crashing owner and its successor would publish them: each draws from a
      // committed point on; any of them may be lost; the two interleave.
      final List<Object> arrivals = new ArrayList<>();
      final int crashAt = r.nextInt(draws + 1);
      for (int i = 0; i < crashAt; i++) {
        if (r.nextInt(10) > 0) {
          arrivals.add(reply.live(i));
        }
      }
      final int resumeFrom = r.nextInt(crashAt + 1);
      final List<Object> successor = new ArrayList<>();
      for (int i = resumeFrom; i < draws; i++) {
        if (r.nextInt(10) > 0) {
          successor.add(reply.live(i));
        }
      }
      final List<Object> committed = new ArrayList<>(reply.chunks(cuts));
      final List<Object> merged = new ArrayList<>();
      while (!arrivals.isEmpty() || !successor.isEmpty() || !committed.isEmpty()) {
        final int pick = r.nextInt(3);
        final List<Object> from =
            pick == 0 && !arrivals.isEmpty()
                ? arrivals
                : pick == 1 && !successor.isEmpty()
                    ? successor
                    : !committed.isEmpty() ? committed : !arrivals.isEmpty() ? arrivals : successor;
        merged.add(from.remove(0));
      }
      final TokenSequencer sequencer = new TokenSequencer();
      final Client client = new Client();
      final String full = reply.text();
      for (final Object o : merged) {
        client.take(
            o instanceof LiveToken t ? sequencer.live(t) : sequencer.committed((TokenChunk) o));
        assertThat(full).as("trial %d: what the client saw", trial).startsWith(client.text);
        assertThat(reply.tokens().subList(0, client.tokens.size()))
            .as("trial %d: the tokens the client saw", trial)
            .isEqualTo(client.tokens);
      }
      assertThat(client.text.toString()).as("trial %d: text", trial).isEqualTo(full);
      assertThat(client.tokens).as("trial %d: tokens", trial).isEqualTo(reply.tokens());
      assertThat(sequencer.deliveredAll(full.codePointCount(0, full.length()))).isTrue();
      assertThat(sequencer.shown()).isLessThanOrEqualTo(draws);
    }
  }

  @Test
  void shouldDeliverLiveDrawsOneByOneAheadOfTheCommit() {
    final Reply reply =
        new Reply(
            List.of(new Draw(72, "H"), new Draw(105, "i"), new Draw(33, "!"), new Draw(-1, "")),
            "");
    final TokenSequencer s = new TokenSequencer();
    final TokenSequencer.Delivery first = s.live(reply.live(0));
    assertThat(first.tokenIds()).containsExactly(72);
    assertThat(first.text()).isEqualTo("H");
    assertThat(first.live()).isTrue();
    assertThat(s.live(reply.live(0))).as("a repeat").isNull();
    assertThat(s.live(reply.live(2))).as("a gap").isNull();
    assertThat(s.live(reply.live(1)).text()).isEqualTo("i");
    assertThat(s.shown()).isEqualTo(2);
    // the commit of the first two draws brings nothing new
    assertThat(s.committed(reply.chunks(List.of(2, 4)).get(0))).isNull();
    // the last chunk brings the third draw, which the live stream lost
    final TokenSequencer.Delivery rest = s.committed(reply.chunks(List.of(2, 4)).get(1));
    assertThat(rest.tokenIds()).containsExactly(33);
    assertThat(rest.text()).isEqualTo("!");
    assertThat(rest.live()).isFalse();
    assertThat(s.live(reply.live(3))).as("the stop draw after its commit").isNull();
    assertThat(s.deliveredAll(3)).isTrue();
  }

  @Test
  void shouldDeliverTheTextACancelFlushesFromTheCommit() {
    // "a" then a held-back "\n" (possible stop "\n\n"); cancelled: the flush releases it.
    final Reply reply = new Reply(List.of(new Draw(97, "a"), new Draw(10, "")), "\n");
    final TokenSequencer s = new TokenSequencer();
    s.live(reply.live(0));
    s.live(reply.live(1));
    final TokenSequencer.Delivery end = s.committed(reply.chunks(List.of(2)).get(0));
    assertThat(end.tokenIds()).isEmpty();
    assertThat(end.text()).isEqualTo("\n");
    assertThat(s.deliveredAll(2)).isTrue();
  }
}
