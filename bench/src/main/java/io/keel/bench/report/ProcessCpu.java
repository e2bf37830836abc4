package io.keel.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time (user + system) consumed by processes, read from Linux's {@code /proc/<pid>/stat}. Summed over a data
 * point's member processes and divided by the operations done, it gives CPU time per operation: a figure that
 * stays meaningful on a shared, CPU-saturated machine where throughput does not (on such a machine throughput is
 * roughly the inverse of the CPU spent per operation by everything involved).
 */
public final class ProcessCpu {

  /** Clock ticks per second of /proc's utime/stime ({@code getconf CLK_TCK}; 100 on every common Linux). */
  static final long TICKS_PER_SECOND = 100;

  private ProcessCpu() {}

  /** Summed user + system CPU time of the given processes in nanoseconds; a process that is gone counts 0. */
  public static long cpuNanos(List<Long> pids) {
    long ticks = 0;
    for (long pid : pids) {
      ticks += ticks(pid);
    }
    return ticks * (1_000_000_000L / TICKS_PER_SECOND);
  }

  /** This JVM's (the load generator's) user + system CPU time in nanoseconds. */
  public static long selfCpuNanos() {
    return cpuNanos(List.of(ProcessHandle.current().pid()));
  }

  /** utime + stime in clock ticks of one process, or 0 if it cannot be read (not Linux, process gone). */
  static long ticks(long pid) {
    String stat;
    try {
      stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
    return parseTicks(stat);
  }

  /**
   * utime + stime from a /proc/<pid>/stat line. The command name (field 2) is in parentheses and may hold spaces
   * or parentheses, so fields are counted from the last ')'; utime and stime are fields 14 and 15.
   */
  static long parseTicks(String stat) {
    int close = stat.lastIndexOf(')');
    if (close < 0) {
      throw new IllegalArgumentException("not a /proc stat line: " + stat);
    }
    String[] f = stat.substring(close + 1).trim().split("\\s+");
    // f[0] is field 3 (state), so field n is f[n - 3].
    if (f.length < 13) {
      throw new IllegalArgumentException("short /proc stat line: " + stat);
    }
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /**
   * The whole host's CPU ticks from the first line of {@code /proc/stat}: {@code {steal, total}}, where total is
   * user + nice + system + idle + iowait + irq + softirq + steal; {@code {0, 0}} if it cannot be read.
   */
  public static long[] hostTicks() {
    try (java.io.BufferedReader r = Files.newBufferedReader(Path.of("/proc/stat"), StandardCharsets.US_ASCII)) {
      String first = r.readLine();
      return first == null ? new long[2] : parseHostTicks(first);
    } catch (IOException | RuntimeException e) {
      return new long[2];
    }
  }

  /** {@code {steal, total}} from /proc/stat's aggregate "cpu" line (steal is its 8th value). */
  static long[] parseHostTicks(String cpuLine) {
    String[] f = cpuLine.trim().split("\\s+");
    if (f.length < 9 || !f[0].equals("cpu")) {
      throw new IllegalArgumentException("not /proc/stat's cpu line: " + cpuLine);
    }
    long total = 0;
    for (int i = 1; i <= 8; i++) {
      total += Long.parseLong(f[i]);
    }
    return new long[] {Long.parseLong(f[8]), total};
  }

  /**
   * CPU used over one interval: by the server processes and by the load generator, the operations done, and the
   * host's steal and total ticks over the interval (CPU the hypervisor gave to other guests: on a shared VM it
   * moves wall-clock rates and tails while CPU per operation stays comparable).
   */
  public record Usage(long serverCpuNanos, long loadCpuNanos, long ops, long hostStealTicks, long hostTotalTicks) {
    public Usage(long serverCpuNanos, long loadCpuNanos, long ops) {
      this(serverCpuNanos, loadCpuNanos, ops, 0, 0);
    }

    /** Share of the host's CPU time stolen by the hypervisor over the interval (NaN without a reading). */
    public double hostStealFraction() {
      return hostTotalTicks > 0 ? (double) hostStealTicks / hostTotalTicks : Double.NaN;
    }

    /** Server CPU milliseconds per operation (NaN without operations or readings). */
    public double serverMsPerOp() {
      return ops > 0 && serverCpuNanos > 0 ? serverCpuNanos / 1e6 / ops : Double.NaN;
    }

    /** Load generator CPU milliseconds per operation. */
    public double loadMsPerOp() {
      return ops > 0 && loadCpuNanos > 0 ? loadCpuNanos / 1e6 / ops : Double.NaN;
    }
  }

  /** A reading taken before an interval; {@link #end} gives the usage since. */
  public record Mark(List<Long> pids, long serverCpuNanos, long loadCpuNanos, long[] host) {
    public static Mark start(List<Long> pids) {
      return new Mark(List.copyOf(pids), cpuNanos(pids), selfCpuNanos(), hostTicks());
    }

    public Usage end(long ops) {
      long[] now = hostTicks();
      return new Usage(cpuNanos(pids) - serverCpuNanos, selfCpuNanos() - loadCpuNanos, ops, now[0] - host[0],
          now[1] - host[1]);
    }
  }
}
