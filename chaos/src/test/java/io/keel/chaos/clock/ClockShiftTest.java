package io.keel.chaos.clock;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.chaos.NativeTools;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The clock nemesis's shim (chaos/src/main/c/clockshift.c) without Docker: preloaded into a child JVM, it moves
 * System.currentTimeMillis and Instant.now by the offset written to its file, back and forth at run time, and
 * leaves System.nanoTime (what Raft ticks and lease timers read) alone.
 */
class ClockShiftTest {
  private static final long SLACK_MS = 5_000;

  @TempDir Path dir;

  @Test
  void wallClockFollowsTheOffsetFileAndTheMonotonicClockDoesNot() throws Exception {
    Path shim = NativeTools.compile("clockshift.c", dir.resolve("libkeelclock.so"), true);
    Path offsetFile = Files.writeString(dir.resolve("offset"), "+0\n");
    ProcessBuilder pb = new ProcessBuilder(NativeTools.javaCommand(ClockShiftChild.class)).redirectErrorStream(true);
    pb.environment().put("LD_PRELOAD", shim.toString());
    pb.environment().put("KEEL_CLOCK_OFFSET_FILE", offsetFile.toString());
    Process child = pb.start();
    try (PrintStream toChild = new PrintStream(child.getOutputStream(), true, StandardCharsets.UTF_8);
        BufferedReader fromChild = new BufferedReader(new InputStreamReader(child.getInputStream(),
            StandardCharsets.UTF_8))) {
      long lastMonoNs = Long.MIN_VALUE;
      long[] offsetsSec = {0, -86_400, 90, 0, 3_600, -7};
      String[] written = {"+0", "-86400s", "+90", "garbage", "+3600s", "-7"};
      for (int i = 0; i < offsetsSec.length; i++) {
        // "garbage" (a malformed or half-written file) keeps the previous offset: 90 s.
        long expectSec = written[i].equals("garbage") ? 90 : offsetsSec[i];
        Files.writeString(offsetFile, written[i] + "\n");
        long before = System.currentTimeMillis();
        toChild.println("go");
        String line = fromChild.readLine();
        long after = System.currentTimeMillis();
        assertThat(line).as("child's answer to step " + i).isNotNull().matches("\\d+ \\d+ -?\\d+");
        String[] f = line.split(" ");
        long wallMs = Long.parseLong(f[0]);
        long instantMs = Long.parseLong(f[1]);
        long monoNs = Long.parseLong(f[2]);
        long expectMs = expectSec * 1000;
        assertThat(wallMs - expectMs).as("currentTimeMillis at offset %s", written[i])
            .isBetween(before - SLACK_MS, after + SLACK_MS);
        assertThat(instantMs - expectMs).as("Instant.now at offset %s", written[i])
            .isBetween(before - SLACK_MS, after + SLACK_MS);
        if (lastMonoNs != Long.MIN_VALUE) {
          assertThat(monoNs - lastMonoNs).as("nanoTime never jumps").isBetween(0L, (after - before + SLACK_MS)
              * 1_000_000L);
        }
        lastMonoNs = monoNs;
      }
    } finally {
      child.getOutputStream().close();
      if (!child.waitFor(30, TimeUnit.SECONDS)) {
        child.destroyForcibly();
      }
    }
    assertThat(child.exitValue()).isZero();
  }
}
