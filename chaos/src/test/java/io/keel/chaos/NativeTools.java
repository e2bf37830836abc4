package io.keel.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.chaos.cluster.NodeImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** For tests of the chaos suite's C tools (chaos/src/main/c): compile one with gcc, run processes, child JVMs. */
public final class NativeTools {
  private NativeTools() {
  }

  /** Compiles chaos/src/main/c/{@code source} into {@code out}: a shared library when {@code shared}. */
  public static Path compile(String source, Path out, boolean shared) throws IOException, InterruptedException {
    Path src = NodeImage.projectRoot().resolve("chaos/src/main/c").resolve(source);
    if (shared) {
      run(Map.of(), "gcc", "-O2", "-Wall", "-shared", "-fPIC", "-o", out.toString(), src.toString(), "-ldl");
    } else {
      run(Map.of(), "gcc", "-O2", "-Wall", "-o", out.toString(), src.toString());
    }
    return out;
  }

  /** The command line of a child JVM running {@code main} on this test's class path. */
  public static List<String> javaCommand(Class<?> main, String... args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), main.getName()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Runs {@code cmd} with {@code env} added, bounded to 60 s; asserts exit 0 and returns the output. */
  public static String run(Map<String, String> env, String... cmd) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(List.of(cmd))).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", cmd) + " did not finish in 60 s");
    }
    assertThat(p.exitValue()).as(String.join(" ", cmd) + " exit code; output:\n" + out).isZero();
    return out;
  }
}
