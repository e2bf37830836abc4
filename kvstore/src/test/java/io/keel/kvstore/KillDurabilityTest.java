package io.keel.kvstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With syncWrites, every put acknowledged before a kill -9 of the process is there after reopening. */
class KillDurabilityTest {
  @TempDir Path dir;

  /** Child process: puts k0, k1, ... and prints "ack <i> <revision>" after each put returns. */
  public static void main(String[] args) {
    try (MvccStore s = MvccStore.open(MvccStore.Options.of(Path.of(args[0])).syncWrites(true))) {
      for (int i = 0; i < 100_000; i++) {
        long rev = s.put(Kv.put("k" + i, "v" + i), i + 1).getHeader().getRevision();
        System.out.println("ack " + i + " " + rev);
        System.out.flush();
      }
    }
  }

  @Test
  void acknowledgedWritesSurviveKill9() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        KillDurabilityTest.class.getName(), dir.toString())
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    int lastAck = -1;
    long lastRev = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while (lastAck < 300 && System.nanoTime() < deadline && (line = r.readLine()) != null) {
        if (line.startsWith("ack ")) {
          String[] f = line.split(" ");
          lastAck = Integer.parseInt(f[1]);
          lastRev = Long.parseLong(f[2]);
        }
      }
      p.destroyForcibly(); // SIGKILL
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(lastAck).isGreaterThanOrEqualTo(0);
    try (MvccStore s = MvccStore.open(MvccStore.Options.of(dir).syncWrites(true))) {
      assertThat(s.currentRevision()).isGreaterThanOrEqualTo(lastRev);
      assertThat(s.appliedIndex()).isGreaterThanOrEqualTo(lastAck + 1);
      for (int i = 0; i <= lastAck; i++) {
        assertThat(s.range(Kv.get("k" + i)).getKvs(0).getValue().toStringUtf8()).isEqualTo("v" + i);
      }
    }
  }
}
