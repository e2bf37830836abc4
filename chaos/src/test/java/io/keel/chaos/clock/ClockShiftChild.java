package io.keel.chaos.clock;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Run by ClockShiftTest in a child JVM with the clock shim preloaded: for every line on stdin, waits past the
 * shim's refresh period and prints {@code <System.currentTimeMillis> <Instant.now millis> <System.nanoTime>}.
 */
public final class ClockShiftChild {
  private ClockShiftChild() {
  }

  public static void main(String[] args) throws IOException, InterruptedException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (int i = 0; i < 100 && in.readLine() != null; i++) {
      Thread.sleep(300);
      System.out.println(System.currentTimeMillis() + " " + Instant.now().toEpochMilli() + " " + System.nanoTime());
      System.out.flush();
    }
  }
}
