package io.finchstream.app;

import io.finchstream.engine.io.LoadProgress;
import java.io.Console;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Renders progress on stderr for long work: one self-overwriting line on a terminal, a line per
 * quarter otherwise (logs stay short). Loading ({@link #on}) counts bytes and stays silent for
 * files below {@link #MIN_BYTES}; {@link #counting} counts other units (tokens) above a threshold.
 */
final class TerminalProgress implements LoadProgress {

  static final long MIN_BYTES = 64L << 20;

  private final PrintWriter err;
  private final boolean terminal;
  private final long minTotal;
  private final String unit; // null: bytes of a load
  private String lastLine = "";
  private int lastStep = -1;

  TerminalProgress(final PrintWriter err, final boolean terminal) {
    this(err, terminal, MIN_BYTES, null);
  }

  private TerminalProgress(
      final PrintWriter err, final boolean terminal, final long minTotal, final String unit) {
    this.err = err;
    this.terminal = terminal;
    this.minTotal = minTotal;
    this.unit = unit;
  }

  /** Progress on {@code err}, overwriting its line when the JVM runs on a terminal. */
  static TerminalProgress on(final PrintWriter err) {
    return new TerminalProgress(err, onTerminal());
  }

  /**
   * Whether the JVM's console is a terminal. Since JDK 22, {@code System.console()} may return a
   * console even when the streams are redirected (the JLine provider of JDKs 22 to 24 does): {@code
   * Console.isTerminal()} tells, called reflectively since the code targets Java 21, where a
   * console exists only on a terminal.
   */
  @SuppressWarnings("SystemConsoleNull") // null means no terminal on 21; isTerminal() asks on 22+
  static boolean onTerminal() {
    final Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
    } catch (final NoSuchMethodException e) {
      return true; // Java 21
    } catch (final ReflectiveOperationException e) {
      return false;
    }
  }

  /**
   * Progress of work counted in {@code unit} (e.g. "tokens") on {@code err}, shown when the total
   * is at least {@code minTotal}.
   */
  static TerminalProgress counting(
      final PrintWriter err, final boolean terminal, final String unit, final long minTotal) {
    return new TerminalProgress(err, terminal, minTotal, unit);
  }

  @Override
  public void update(final String phase, final long done, final long total) {
    if (total < minTotal || total <= 0) {
      return;
    }
    final int percent = (int) (100 * done / total);
    final String line =
        unit == null
            ? String.format(
                Locale.ROOT,
                "loading %s: %3d%% (%.2f / %.2f GB)",
                phase,
                percent,
                done / 1e9,
                total / 1e9)
            : String.format(
                Locale.ROOT, "%s: %3d%% (%,d / %,d %s)", phase, percent, done, total, unit);
    if (terminal) {
      if (!line.equals(lastLine)) {
        err.print('\r' + line + (done >= total ? System.lineSeparator() : ""));
        err.flush();
        lastLine = line;
      }
    } else if (percent / 25 != lastStep) {
      lastStep = percent / 25;
      err.println(line);
      err.flush();
    }
  }
}
