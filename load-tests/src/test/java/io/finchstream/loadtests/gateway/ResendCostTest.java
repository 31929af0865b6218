package io.finchstream.loadtests.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report of the resend-cost runs: runs grouped by label, medians per turn number. */
class ResendCostTest {

  @TempDir Path dir;

  @Test
  void shouldTakeTheMedianPerTurnOfEachLabelsRunsAndReportTheLastTurnAgainstTurnTwo()
      throws Exception {
    run("on-r1.json", "on", new double[] {500, 100, 110}, new long[] {0, 180, 360});
    run("on-r2.json", "on", new double[] {700, 140, 150}, new long[] {0, 180, 360});
    run("off-r1.json", "off", new double[] {500, 300, 450}, new long[] {0, 0, 0});
    Files.writeString(dir.resolve("other.json"), "{\"not\": \"a run\"}");

    final List<ResendCost.Series> series = ResendCost.read(dir);

    assertThat(series).extracting(ResendCost.Series::label).containsExactly("off", "on");
    final ResendCost.Series on = series.get(1);
    assertThat(on.runs()).isEqualTo(2);
    assertThat(on.turn()).containsExactly(1, 2, 3);
    assertThat(on.wallMs()).containsExactly(600.0, 120.0, 130.0);
    assertThat(on.cachedTokens()).containsExactly(0L, 180L, 360L);
    assertThat(on.promptTokens()).containsExactly(200L, 400L, 600L);
    final String md = ResendCost.markdown(series);
    assertThat(md)
        .contains("| 2 | 300 | 400 | 0 | 120 | 400 | 180 |")
        .contains("on (median of 2 runs): turn 3 ÷ turn 2 = **1.08×**")
        .contains("off (median of 1 run): turn 3 ÷ turn 2 = **1.50×**");
  }

  @Test
  void shouldReportTheMeanOfTheLastTurnsAgainstTheFirstOnesWhenThereAreEnough() throws Exception {
    final double[] wall = new double[12];
    for (int i = 0; i < wall.length; i++) {
      wall[i] = 100 + 10 * i; // turns 2-6: 110..150 (mean 130); turns 8-12: 170..210 (mean 190)
    }
    run("on-r1.json", "on", wall, new long[12]);
    run("off-r1.json", "off", new double[] {500, 300, 450}, new long[3]);

    final String md = ResendCost.markdown(ResendCost.read(dir));

    assertThat(md)
        .contains("on: mean of turns 8–12 ÷ mean of turns 2–6 = **1.46×** (190 ms ÷ 130 ms)")
        .contains("| 12 | – | – | – | 210 | 2400 | 0 |")
        .doesNotContain("off: mean of turns");
  }

  private void run(final String file, final String label, final double[] wall, final long[] cached)
      throws Exception {
    final StringBuilder rows = new StringBuilder();
    for (int i = 0; i < wall.length; i++) {
      rows.append(i == 0 ? "" : ",")
          .append(
              String.format(
                  Locale.ROOT,
                  "{\"turn\":%d,\"wall_ms\":%.1f,\"ttft_ms\":1,\"prompt_tokens\":%d,"
                      + "\"cached_tokens\":%d,\"completion_tokens\":16}",
                  i + 1,
                  wall[i],
                  200 * (i + 1),
                  cached[i]));
    }
    Files.writeString(
        dir.resolve(file), "{\"label\":\"" + label + "\",\"per_turn\":[" + rows + "]}");
  }
}
