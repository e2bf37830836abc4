package io.keel.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The packaged launcher's {@code bench} command, end to end: {@code java -jar keel-server.jar bench kv put}
 * against a running Keel member, with a JSON result. Catches a runtime class path that lacks what bench needs.
 */
class BenchLauncherIT {

  @Test
  void benchKvPutRunsFromThePackagedJar() throws Exception {
    Path json = Path.of("target", "it-logs", "bench-launcher.json");
    Files.createDirectories(json.getParent());
    Files.deleteIfExists(json);
    try (KeelProcess keel = KeelProcess.started(ServerFlags.named("bench"))) {
      Path out = Path.of("target", "it-logs", "bench-launcher.out");
      Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-jar", System.getProperty("keel.server.jar"), "bench", "kv", "put",
          "--endpoints", keel.clientEndpoint(), "--clients", "4", "--conns", "1", "--total", "200",
          "--max-seconds", "60", "--no-progress", "--json", json.toString()))
          .redirectErrorStream(true).redirectOutput(out.toFile()).start();
      assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("bench finished").isTrue();
      assertThat(p.exitValue()).as("exit code; output:%n%s", Files.readString(out)).isZero();
      assertThat(Files.readString(out)).contains("Requests/sec");
      assertThat(Files.readString(json)).contains("200");
    }
  }
}
