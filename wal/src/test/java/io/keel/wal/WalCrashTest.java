package io.keel.wal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a real child JVM (SIGKILL via destroyForcibly) while it appends with concurrent appenders, then reopens
 * and checks that EVERY acknowledged record is present and intact. Several rounds on the same directory with
 * different kill points, so each round also recovers the previous round's crash.
 */
class WalCrashTest {
  @TempDir Path dir;

  @Test
  void everyAcknowledgedRecordSurvivesSigkill() throws Exception {
    TreeSet<Long> acked = new TreeSet<>();
    int[] killAfterAcks = {25, 300, 100, 800};
    int[] threads = {4, 8, 2, 16};
    for (int round = 0; round < killAfterAcks.length; round++) {
      List<Long> got = runAndKill(threads[round], killAfterAcks[round]);
      // normally >= the kill point; on a very slow disk the parent's 60 s bound kills it earlier
      assertThat(got).as("round %d acks; child stderr: %s", round, stderr()).isNotEmpty();
      acked.addAll(got);
      Recovered r = WalTestSupport.reopen(WalCrashChild.options(dir));
      List<WalEntry> es = r.entries();
      assertThat(es).isNotEmpty();
      assertThat(es.get(0).index()).isEqualTo(1);
      for (int k = 0; k < es.size(); k++) {
        WalEntry e = es.get(k);
        assertThat(e.index()).isEqualTo(k + 1L);
        assertThat(e.data()).as("payload of entry %d", e.index())
            .isEqualTo(WalTestSupport.payload(e.index(), 1, WalCrashChild.PAYLOAD_BYTES));
      }
      assertThat(r.lastIndex()).as("every acknowledged index is present").isGreaterThanOrEqualTo(acked.last());
      assertThat(r.hardState().commit()).isLessThan(r.lastIndex());
      assertThat(new String(r.metadata())).isEqualTo("crash-test");
    }
    assertThat(Segments.list(dir).size()).as("the rounds rolled segments").isGreaterThan(2);
  }

  private String stderr() throws java.io.IOException {
    Path p = dir.resolve("child-stderr.log");
    return java.nio.file.Files.exists(p) ? java.nio.file.Files.readString(p) : "";
  }

  /** Starts the child, SIGKILLs it after {@code killAfter} acks, returns every index it acknowledged. */
  private List<Long> runAndKill(int threads, int killAfter) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp",
        System.getProperty("java.class.path"), WalCrashChild.class.getName(), dir.toString(),
        Integer.toString(threads), "1000000");
    pb.redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("child-stderr.log").toFile()));
    Process p = pb.start();
    List<Long> acks = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
        StandardCharsets.UTF_8))) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      String line;
      boolean killed = false;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("READY") || line.equals("DONE")) {
          continue;
        }
        acks.add(Long.parseLong(line.trim()));
        if (!killed && (acks.size() >= killAfter || System.nanoTime() > deadline)) {
          // SIGKILL mid-stream. Through the handle, so our end of the pipe stays open: lines the child
          // printed before dying were acknowledged too and are read to EOF below.
          p.toHandle().destroyForcibly();
          killed = true;
        }
      }
    } finally {
      p.destroyForcibly();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    return acks;
  }
}
