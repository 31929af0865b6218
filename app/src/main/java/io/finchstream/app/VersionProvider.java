package io.finchstream.app;

import picocli.CommandLine.IVersionProvider;

/** Version from the jar manifest (falls back to "dev" when run from classes). */
final class VersionProvider implements IVersionProvider {

  static String version() {
    final String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  @Override
  public String[] getVersion() {
    return new String[] {
      "finchstream " + version(),
      "JVM: " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")",
      "Vector API: "
          + (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() ? "on" : "off"),
    };
  }
}
