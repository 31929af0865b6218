package io.finchstream.loadtests.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The soak test's summary on synthetic samples: which windows it compares, which figures it calls
 * flat, the trend, and the files it writes from the run's CSVs.
 */
class SoakReportTest {

  private static final double MIB = SoakReport.MIB;

  @TempDir Path dir;

  @Test
  void shouldCompareTheFirstWindowAfterTheBoundWithTheLastAndFlagOnlyWhatGrew() {
    // 600 s, a sample every 5 s; the first refusal at 130 s, the bound itself at 150 s, both
    // after the 120 s warm-up
    final List<SoakReport.Sample> samples = new ArrayList<>();
    for (int t = 5; t <= 600; t += 5) {
      final Map<String, Double> v = new LinkedHashMap<>();
      // heap saw-tooths between a flat floor of 200 MiB and 400 MiB
      v.put("heap_used_bytes", (200 + (t % 20 == 0 ? 0 : 200)) * MIB);
      // the block cache grows by 10 MiB a minute
      v.put("rocksdb_block_cache_bytes", (20 + t / 6.0) * MIB);
      // hot states fill to 64 MiB with the long conversation, then stay there
      v.put("hot_state_bytes", Math.min(64, t * 0.5) * MIB);
      // memtables: small and noisy, 2 to 6 MiB: more than 25% apart, but within the slack
      v.put("rocksdb_memtable_bytes", (t > 500 ? 6 : 2) * MIB);
      v.put("long_tokens", (double) Math.min(31_000, t * 200));
      v.put("long_refusals", (double) Math.max(0, (t - 150) / 10));
      samples.add(new SoakReport.Sample(t, v));
    }
    final List<SoakReport.Turn> turns = new ArrayList<>();
    for (int t = 1; t <= 600; t++) {
      // latency 100 ms (p50), with one slow turn in ten; the last minute twice as slow
      final double base = t >= 540 ? 200 : 100;
      turns.add(new SoakReport.Turn(t, t % 10 == 0 ? base * 5 : base, base / 2, 1 + t / 100));
    }

    final SoakReport.Summary s = SoakReport.summarize(samples, turns, info(130, 150), 0.25, 0.5);

    assertThat(s.firstFrom()).isEqualTo(150);
    assertThat(s.firstTo()).isEqualTo(210);
    assertThat(s.lastFrom()).isEqualTo(540);
    assertThat(s.lastTo()).isEqualTo(600);
    assertThat(s.overlap()).isFalse();
    assertThat(s.firstTurns()).isEqualTo(60);
    assertThat(s.lastTurns()).isEqualTo(61); // 540..600: the last window includes the last sample
    // the lowest heap sample is shown, not judged: it depends on where samples fall between GCs
    final SoakReport.Figure heap = figure(s.memory(), "heap used");
    assertThat(heap.first()).isEqualTo(200);
    assertThat(heap.last()).isEqualTo(200);
    assertThat(heap.judged()).isFalse();
    // turns 150..209 are turn numbers 2 and 3, 540..600 turn 6 and 7
    assertThat(s.firstMeanTurn()).isCloseTo((50 * 2 + 10 * 3) / 60.0, within(1e-9));
    assertThat(s.lastMeanTurn()).isCloseTo((60 * 6 + 7) / 61.0, within(1e-9));
    final SoakReport.Figure cache = figure(s.memory(), "RocksDB block cache");
    assertThat(cache.slopePerMinute()).isCloseTo(10, within(1e-6));
    assertThat(cache.first()).isCloseTo(20 + 177.5 / 6, within(1e-6));
    assertThat(cache.flat()).isFalse();
    final SoakReport.Figure hot = figure(s.memory(), "hot states");
    assertThat(hot.first()).isEqualTo(64);
    assertThat(hot.flat()).isTrue();
    assertThat(figure(s.memory(), "RocksDB memtables").flat()).isTrue();
    // figures the server did not expose are left out, not reported as zero
    assertThat(s.memory()).extracting(SoakReport.Figure::name).noneMatch(n -> n.contains("RSS"));
    assertThat(s.memoryFlat()).isFalse();
    final SoakReport.Figure p50 = figure(s.latency(), "turn p50");
    assertThat(p50.first()).isEqualTo(100);
    assertThat(p50.last()).isEqualTo(200);
    assertThat(p50.flat()).isFalse();
    final SoakReport.Figure ttft = figure(s.latency(), "time to first token p50");
    assertThat(ttft.first()).isEqualTo(50);
    assertThat(ttft.last()).isEqualTo(100);
    assertThat(ttft.flat()).isTrue(); // twice as slow, but only by the 50 ms slack
    final SoakReport.Figure p99 = figure(s.latency(), "turn p99");
    assertThat(p99.first()).isEqualTo(500);
    assertThat(p99.last()).isEqualTo(1000);
    assertThat(p99.flat()).isFalse();
  }

  @Test
  void shouldStartTheFirstWindowAtTheBoundOrAfterTheWarmUpWhicheverIsLater() {
    final List<SoakReport.Sample> samples = new ArrayList<>();
    for (int t = 0; t <= 200; t += 10) {
      samples.add(new SoakReport.Sample(t, Map.of("hot_state_bytes", 10 * MIB)));
    }

    assertThat(SoakReport.summarize(samples, List.of(), info(30, 50), 0.25, 0.5).firstFrom())
        .isEqualTo(120);
    // never exactly at the bound: the first refusal starts it
    assertThat(
            SoakReport.summarize(samples, List.of(), info(130, Double.NaN), 0.25, 0.5).firstFrom())
        .isEqualTo(130);
    final SoakReport.Summary never =
        SoakReport.summarize(samples, List.of(), info(Double.NaN, Double.NaN), 0.25, 0.5);
    assertThat(never.firstFrom()).isEqualTo(120);
    // 120 + 60 > 200 - 60: the windows overlap, and the summary says so
    assertThat(never.overlap()).isTrue();
    assertThat(never.latency()).isEmpty();
  }

  @Test
  void shouldTakeNearestRankPercentilesAndIgnoreMissingValues() {
    final List<SoakReport.Turn> turns = new ArrayList<>();
    for (int i = 1; i <= 100; i++) {
      turns.add(new SoakReport.Turn(i, i, i % 2 == 0 ? Double.NaN : i, 1));
    }

    assertThat(SoakReport.percentile(turns, SoakReport.Turn::wallMs, 0.5)).isEqualTo(50);
    assertThat(SoakReport.percentile(turns, SoakReport.Turn::wallMs, 0.99)).isEqualTo(99);
    assertThat(SoakReport.percentile(turns, SoakReport.Turn::ttftMs, 0.5)).isEqualTo(49);
    assertThat(SoakReport.percentile(List.<SoakReport.Turn>of(), SoakReport.Turn::wallMs, 0.5))
        .isNaN();
  }

  @Test
  void shouldWriteTheSummaryAndThePlotFromTheRunsFiles() throws Exception {
    final StringBuilder csv = new StringBuilder(SoakReport.csvHeader());
    final StringBuilder turns = new StringBuilder("t_s,wall_ms,ttft_ms,turn\n");
    for (int t = 5; t <= 400; t += 5) {
      final Map<String, Double> v = new LinkedHashMap<>();
      v.put("heap_used_bytes", 300 * MIB);
      v.put("gc_live_data_bytes", Double.NaN); // not exposed: an empty cell
      v.put("hot_state_bytes", 64 * MIB);
      v.put("long_tokens", 31_000.0);
      v.put("long_refusals", (double) t / 10);
      csv.append(SoakReport.csvLine(new SoakReport.Sample(t, v)));
      turns.append(SoakReport.turnLine(new SoakReport.Turn(t - 1, 120, 40, 3)));
    }
    Files.writeString(dir.resolve("samples.csv"), csv);
    Files.writeString(dir.resolve("turns.csv"), turns);
    SoakReport.writeRunInfo(dir.resolve("run.json"), info(100, 120));

    final List<SoakReport.Sample> read = SoakReport.readSamples(dir.resolve("samples.csv"));
    assertThat(read).hasSize(80);
    assertThat(read.getFirst().get("heap_used_bytes")).isEqualTo(300 * MIB);
    assertThat(read.getFirst().get("gc_live_data_bytes")).isNaN();
    assertThat(SoakReport.readRunInfo(dir.resolve("run.json"))).isEqualTo(info(100, 120));

    final String md = SoakReport.report(dir, 0.25, 0.5);

    assertThat(md)
        .contains(
            "first append refused at 100 s with 30,000 tokens; exactly at the bound from 120 s"
                + " (bound 31,200; expected 31,200)")
        .contains("| hot states | 64.0 MiB | 64.0 MiB | 1.00× | +0.00 MiB | yes |")
        .contains("| turn p50 | 120.0 ms | 120.0 ms | 1.00× | – | yes |")
        .contains("mean turn number 3.0")
        .contains("a conversation is deleted and replaced after 8 turns (370 replaced)")
        .contains("Memory **stayed flat**; latency **stayed flat**");
    assertThat(Files.readString(dir.resolve("summary.json"))).contains("\"memory_flat\" : true");
    assertThat(Files.size(dir.resolve("soak.png"))).isPositive();
  }

  private static SoakReport.RunInfo info(final double boundHit, final double boundFull) {
    return new SoakReport.RunInfo(
        600,
        5,
        120,
        60,
        boundHit,
        30_000,
        boundFull,
        31_200,
        31_200,
        31_200,
        40,
        30,
        29,
        12,
        3,
        4,
        Map.of(),
        150,
        4,
        8,
        370,
        3000,
        Map.of(),
        "hot.cache.max.bytes=67108864");
  }

  private static SoakReport.Figure figure(
      final List<SoakReport.Figure> figures, final String name) {
    return figures.stream().filter(f -> f.name().startsWith(name)).findFirst().orElseThrow();
  }
}
