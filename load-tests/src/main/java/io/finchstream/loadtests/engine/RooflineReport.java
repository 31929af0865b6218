package io.finchstream.loadtests.engine;

import io.finchstream.engine.WeightPrecision;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the machine probes and the engine benchmarks in one go (standard JMH options, e.g. {@code -p
 * model=L12-D768 -wi 1 -i 2}) and reports every engine result as a fraction of the machine's limits
 * measured in the same run: decode as weight bytes per second over the read bandwidth, prefill as
 * flops per second over the FMA peak, batched decode as tokens per second over single-stream
 * decode. The probes run on the engine's thread count (all processors).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp 'load-tests/target/classes:load-tests/target/lib/*' \
 *   io.finchstream.loadtests.engine.RooflineReport [JMH options]
 * </pre>
 */
public final class RooflineReport {

  private RooflineReport() {}

  public static void main(final String[] args) throws RunnerException, CommandLineOptionException {
    final CommandLineOptions cli = new CommandLineOptions(args);
    final Options options =
        new OptionsBuilder()
            .parent(cli)
            .include(
                cli.getIncludes().isEmpty()
                    ? "io\\.finchstream\\.loadtests\\.engine\\.(MachineProbe|Decode|Prefill)Benchmark"
                    : String.join("|", cli.getIncludes()))
            .build();
    final Collection<RunResult> results = new Runner(options).run();
    System.out.println(report(results, Runtime.getRuntime().availableProcessors()));
  }

  /** The ratio table. */
  static String report(final Collection<RunResult> results, final int threads) {
    double readGbs = Double.NaN;
    double fmaGflops = Double.NaN;
    final Map<String, Double> batchOne = new TreeMap<>();
    final List<String> lines = new ArrayList<>();
    for (final RunResult r : results) {
      final String bench = r.getParams().getBenchmark();
      final double msPerOp = r.getPrimaryResult().getScore();
      if (bench.endsWith("readBandwidth")
          && threads == Integer.parseInt(r.getParams().getParam("threads"))) {
        readGbs = MachineProbeBenchmark.READ_BYTES / (msPerOp / 1e3) / 1e9;
      } else if (bench.endsWith("fmaPeak")
          && threads == Integer.parseInt(r.getParams().getParam("threads"))) {
        fmaGflops = MachineProbeBenchmark.fmaFlops(threads) / (msPerOp / 1e3) / 1e9;
      }
    }
    lines.add(
        String.format(
            Locale.ROOT,
            "machine (%d threads): read %.1f GB/s, FP32 FMA %.1f GFLOP/s",
            threads,
            readGbs,
            fmaGflops));
    for (final RunResult r : results) {
      final String bench = r.getParams().getBenchmark();
      final double msPerOp = r.getPrimaryResult().getScore();
      if (bench.endsWith("DecodeBenchmark.step")) {
        final String model = r.getParams().getParam("model");
        final String precision = r.getParams().getParam("precision");
        final int batch = Integer.parseInt(r.getParams().getParam("batch"));
        final double tokensPerSecond = batch / (msPerOp / 1e3);
        final double gbs =
            BenchModels.bytesPerDecodedToken(
                    model, WeightPrecision.valueOf(precision.toUpperCase(Locale.ROOT)))
                / (msPerOp / 1e3)
                / 1e9;
        if (batch == 1) {
          batchOne.put(model + "/" + precision, tokensPerSecond);
        }
        final Double single = batchOne.get(model + "/" + precision);
        lines.add(
            String.format(
                Locale.ROOT,
                "decode  %-10s %-5s batch %3d: %8.2f ms/step %8.1f tok/s  weights %5.1f GB/s = %3.0f%% of read bw%s",
                model,
                precision,
                batch,
                msPerOp,
                tokensPerSecond,
                gbs,
                100 * gbs / readGbs,
                batch > 1 && single != null
                    ? String.format(Locale.ROOT, "  (%.1fx batch 1)", tokensPerSecond / single)
                    : ""));
      } else if (bench.endsWith("PrefillBenchmark.ingest")) {
        final String model = r.getParams().getParam("model");
        final double tokensPerSecond = PrefillBenchmark.PROMPT / (msPerOp / 1e3);
        final double gflops = BenchModels.flopsPerPrefilledToken(model) * tokensPerSecond / 1e9;
        lines.add(
            String.format(
                Locale.ROOT,
                "prefill %-10s %-5s chunk %3s: %8.1f tok/s  %6.1f GFLOP/s = %3.0f%% of FMA peak",
                model,
                r.getParams().getParam("precision"),
                r.getParams().getParam("chunk"),
                tokensPerSecond,
                gflops,
                100 * gflops / fmaGflops));
      }
    }
    return String.join(System.lineSeparator(), lines);
  }
}
