package io.finchstream.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StopMatcherTest {

  @Test
  void shouldEmitEverythingAtOnceWithoutStops() {
    final StopMatcher matcher = new StopMatcher(List.of());
    assertThat(matcher.push("Hello")).isEqualTo(new StopMatcher.Step("Hello", false));
    assertThat(matcher.finish()).isEmpty();
  }

  @Test
  void shouldHoldBackAPossibleStopAcrossChunks() {
    final StopMatcher matcher = new StopMatcher(List.of("\n\nUser:"));
    assertThat(matcher.push("Hello\n")).isEqualTo(new StopMatcher.Step("Hello", false));
    assertThat(matcher.heldBackLength()).isEqualTo(1);
    assertThat(matcher.push("\nUs")).isEqualTo(new StopMatcher.Step("", false));
    assertThat(matcher.push("er: more")).isEqualTo(new StopMatcher.Step("", true));
    assertThat(matcher.stopped()).isTrue();
    assertThat(matcher.push("ignored")).isEqualTo(new StopMatcher.Step("", true));
    assertThat(matcher.finish()).isEmpty();
  }

  @Test
  void shouldReleaseHeldTextWhenItStopsMatching() {
    final StopMatcher matcher = new StopMatcher(List.of("\n\nUser:"));
    assertThat(matcher.push("a\n\nUs")).isEqualTo(new StopMatcher.Step("a", false));
    assertThat(matcher.push("ually")).isEqualTo(new StopMatcher.Step("\n\nUsually", false));
  }

  @Test
  void shouldStopAtTheEarliestOfSeveralStops() {
    final StopMatcher matcher = new StopMatcher(List.of("world", "o w", "xyz"));
    assertThat(matcher.push("hello world")).isEqualTo(new StopMatcher.Step("hell", true));
  }

  @Test
  void shouldFlushHeldTextAtTheEnd() {
    final StopMatcher matcher = new StopMatcher(List.of("END"));
    assertThat(matcher.push("the EN")).isEqualTo(new StopMatcher.Step("the ", false));
    assertThat(matcher.finish()).isEqualTo("EN");
  }

  @Test
  void shouldStopInTheChunkThatCompletesAStopAtItsEarliestStart() {
    // "ba" completes before "\nba\n" does: generation stops there, even though the longer stop
    // starts earlier
    final StopMatcher matcher = new StopMatcher(List.of("\nba\n", "ba"));
    assertThat(matcher.push("x\nb")).isEqualTo(new StopMatcher.Step("x", false));
    assertThat(matcher.push("a")).isEqualTo(new StopMatcher.Step("\n", true));
    final StopMatcher together = new StopMatcher(List.of("\nba\n", "ba"));
    assertThat(together.push("x\nba\n")).isEqualTo(new StopMatcher.Step("x", true));
  }

  @Test
  void shouldEqualTheTextBeforeTheFirstCompletedStopForRandomChunkings() {
    final Random random = new Random(99);
    final String alphabet = "ab\n";
    for (int round = 0; round < 5000; round++) {
      final List<String> stops = new ArrayList<>();
      for (int s = random.nextInt(3); s >= 0; s--) {
        stops.add(randomString(random, alphabet, 1 + random.nextInt(4)));
      }
      final String text = randomString(random, alphabet, random.nextInt(40));
      final int longest = stops.stream().mapToInt(String::length).max().orElse(0);
      final StopMatcher matcher = new StopMatcher(stops);
      final StringBuilder emitted = new StringBuilder();
      String expected = null; // oracle: after each chunk, the earliest stop in the text so far
      int at = 0;
      while (at < text.length() && expected == null) {
        final int n = 1 + random.nextInt(Math.min(5, text.length() - at));
        final StopMatcher.Step step = matcher.push(text.substring(at, at + n));
        emitted.append(step.text());
        at += n;
        final int firstStop = earliest(text.substring(0, at), stops);
        if (firstStop >= 0) {
          expected = text.substring(0, firstStop);
        }
        assertThat(step.stopped()).isEqualTo(firstStop >= 0);
        assertThat(matcher.heldBackLength()).isLessThan(Math.max(1, longest));
      }
      if (expected == null) {
        emitted.append(matcher.finish());
        expected = text;
      }
      assertThat(emitted.toString())
          .as("stops %s text %s", stops, text.replace("\n", "\\n"))
          .isEqualTo(expected);
    }
  }

  private static int earliest(final String text, final List<String> stops) {
    int first = -1;
    for (final String stop : stops) {
      final int at = text.indexOf(stop);
      first = at >= 0 && (first < 0 || at < first) ? at : first;
    }
    return first;
  }

  private static String randomString(final Random random, final String alphabet, final int length) {
    final StringBuilder sb = new StringBuilder();
    for (int i = 0; i < length; i++) {
      sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return sb.toString();
  }
}
