package io.finchstream.app;

import picocli.CommandLine.Command;

/** {@code finchstream version}: the version, the JVM, and whether the Vector API is available. */
@Command(
    name = "version",
    mixinStandardHelpOptions = true,
    description = "Print version and runtime information.")
final class VersionCommand implements Runnable {

  @Override
  public void run() {
    for (final String line : new VersionProvider().getVersion()) {
      System.out.println(line);
    }
  }
}
