package io.keel.bench.compare;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Server memory readings for the watch suite: a process's resident set size from
 * {@code /proc/<pid>/status} (VmRSS), and a full GC of a JVM member through {@code jcmd <pid> GC.run} so a
 * Keel reading is not inflated by garbage. Every wait is bounded.
 */
public final class MemoryProbe {

  /** Upper bound of one jcmd call. */
  public static final long JCMD_TIMEOUT_MS = 30_000;

  private MemoryProbe() {}

  /** VmRSS in bytes from the text of a {@code /proc/<pid>/status} file. */
  public static long parseVmRssBytes(String status) {
    for (String line : status.split("\n")) {
      if (line.startsWith("VmRSS:")) {
        String[] parts = line.substring("VmRSS:".length()).trim().split("\\s+");
        if (parts.length != 2 || !parts[1].equals("kB")) {
          throw new IllegalArgumentException("unexpected VmRSS line: " + line);
        }
        return Long.parseLong(parts[0]) * 1024;
      }
    }
    throw new IllegalArgumentException("no VmRSS line in process status");
  }

  /** Resident set size of a live process in bytes. */
  public static long rssBytes(long pid) throws IOException {
    return parseVmRssBytes(Files.readString(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.UTF_8));
  }

  /** Bytes per watcher from RSS before and after opening {@code watchers} watchers (may be negative: noise). */
  public static double bytesPerWatcher(long rssBeforeBytes, long rssAfterBytes, long watchers) {
    if (watchers < 1) {
      throw new IllegalArgumentException("watchers must be >= 1: " + watchers);
    }
    return (double) (rssAfterBytes - rssBeforeBytes) / watchers;
  }

  private static final java.util.regex.Pattern HEAP_USED = java.util.regex.Pattern.compile("used (\\d+)K");

  /** Used heap in bytes from {@code jcmd <pid> GC.heap_info} output (its first "used NNNK"). */
  public static long parseHeapUsedBytes(String heapInfo) {
    java.util.regex.Matcher m = HEAP_USED.matcher(heapInfo);
    if (!m.find()) {
      throw new IllegalArgumentException("no 'used NNNK' in GC.heap_info output");
    }
    return Long.parseLong(m.group(1)) * 1024;
  }

  /** Used heap of a JVM process (jcmd GC.heap_info); -1 when it could not be read. */
  public static long heapUsedBytes(long pid) throws InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    try {
      Process p = new ProcessBuilder(List.of(jcmd.toString(), Long.toString(pid), "GC.heap_info"))
          .redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readNBytes(1 << 20);
      if (!p.waitFor(JCMD_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        return -1;
      }
      return p.exitValue() == 0 ? parseHeapUsedBytes(new String(out, StandardCharsets.UTF_8)) : -1;
    } catch (IOException | IllegalArgumentException e) {
      return -1;
    }
  }

  /** Runs a full GC in a JVM process (jcmd from the running JDK); returns false when it could not. */
  public static boolean gc(long pid) throws InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    try {
      Process p = new ProcessBuilder(List.of(jcmd.toString(), Long.toString(pid), "GC.run"))
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(JCMD_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    }
  }
}
