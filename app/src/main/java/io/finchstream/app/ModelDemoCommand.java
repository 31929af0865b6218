package io.finchstream.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code finchstream model demo}: writes the demo model bundled in the jar (what {@code up} serves
 * by default) to a file, e.g. for {@code serve} in a container.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Write the demo model bundled with finchstream (" + ServedModels.DEMO_FILE + ",",
      "models/README.md: a small GoldFinch trained on Shakespeare's plays, which `up` serves",
      "by default) to a file, e.g. to serve it with `serve --model FILE`."
    })
final class ModelDemoCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "FILE",
      description = "Output .safetensors file (replaced unless it already holds the demo model).")
  Path out;

  @Override
  public Integer call() throws IOException {
    final PrintWriter stdout = spec.commandLine().getOut();
    ServedModels.extractDemo(out, spec.commandLine().getErr());
    stdout.println("demo model at " + out + ": " + ServedModels.description(out));
    stdout.flush();
    return 0;
  }
}
