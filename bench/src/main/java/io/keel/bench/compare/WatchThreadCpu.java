package io.keel.bench.compare;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * CPU time of one process's threads grouped by thread name (Linux {@code /proc/<pid>/task/<tid>/stat}, names
 * truncated by the kernel to 15 characters, trailing digits and separators dropped so that pool threads fold
 * together). The watch suite takes a snapshot before and after each measured point and reports where the
 * member's CPU went (dispatcher, Netty event loops, apply, ...): a load-robust view of the delivery cost, unlike
 * wall-clock latency on a shared box. Threads that exit between snapshots are not counted; best effort
 * (an unreadable task is skipped).
 */
public final class WatchThreadCpu {
  /** Linux USER_HZ, the unit of utime/stime in /proc stat. */
  static final long TICK_NANOS = 10_000_000L;

  private WatchThreadCpu() {}

  /** CPU nanoseconds (user + system) per thread group of {@code pid}; empty if /proc is not readable. */
  public static Map<String, Long> snapshot(long pid) {
    Map<String, Long> byGroup = new TreeMap<>();
    Path tasks = Path.of("/proc", Long.toString(pid), "task");
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(tasks)) {
      for (Path t : ds) {
        try {
          String stat = Files.readString(t.resolve("stat"));
          long[] cpu = parse(stat);
          if (cpu != null) {
            byGroup.merge(group(name(stat)), (cpu[0] + cpu[1]) * TICK_NANOS, Long::sum);
          }
        } catch (IOException e) {
          // the thread exited while we read it
        }
      }
    } catch (IOException e) {
      return Map.of();
    }
    return byGroup;
  }

  /** The thread name (between the first '(' and the last ')'), or "?" if malformed. */
  static String name(String stat) {
    int a = stat.indexOf('(');
    int b = stat.lastIndexOf(')');
    return a < 0 || b <= a ? "?" : stat.substring(a + 1, b);
  }

  /** utime and stime ticks (fields 14 and 15), or null if the line is malformed. */
  static long[] parse(String stat) {
    int b = stat.lastIndexOf(')');
    if (b < 0) {
      return null;
    }
    String[] f = stat.substring(b + 2).trim().split(" ");
    // f[0] is field 3 (state); utime is field 14 -> f[11], stime field 15 -> f[12]
    if (f.length < 13) {
      return null;
    }
    try {
      return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Folds pool members together: "grpc-nio-worker-ELG-3-2" -> "grpc-nio-worker-ELG", "pool-1-thread-3" -> "pool-thread". */
  static String group(String name) {
    String g = name.replaceAll("[-_#]?\\d+", "");
    return g.isEmpty() ? name : g;
  }

  /** after - before per group, largest first, groups with less than {@code minNanos} dropped. */
  public static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after, long minNanos) {
    Map<String, Long> d = new LinkedHashMap<>();
    after.entrySet().stream()
        .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
        .filter(e -> e.getValue() >= minNanos)
        .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
        .forEach(e -> d.put(e.getKey(), e.getValue()));
    return d;
  }

  /** "name 123 ms, name 45 ms" with CPU per thread group, the busiest {@code max} groups. */
  public static String format(Map<String, Long> delta, int max) {
    return delta.entrySet().stream().limit(max)
        .map(e -> e.getKey() + " " + (e.getValue() / 1_000_000) + " ms")
        .collect(Collectors.joining(", "));
  }
}
