package io.keel.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The facts about the machine that a benchmark number needs next to it: cores, CPU model, JDK, OS and the
 * disk's fsync latency (from {@link FsyncProbe}).
 */
public record MachineFacts(int cores, String cpuModel, String jdk, String os, FsyncProbe.Result fsync) {

  /** Collects the facts; the fsync probe runs in {@code scratchDir} for at most about two seconds. */
  public static MachineFacts collect(Path scratchDir) throws IOException {
    return new MachineFacts(Runtime.getRuntime().availableProcessors(), readCpuModel(),
        System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
        System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
        FsyncProbe.run(scratchDir, 500, 2000));
  }

  static String readCpuModel() {
    Path cpuinfo = Path.of("/proc/cpuinfo");
    if (!Files.isReadable(cpuinfo)) {
      return "unknown";
    }
    try (Stream<String> lines = Files.lines(cpuinfo)) {
      return lines.filter(l -> l.startsWith("model name")).findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** Markdown bullet list of the facts. */
  public String toMarkdown() {
    return String.format(Locale.ROOT,
        "- cores (nproc): %d%n- CPU: %s%n- JDK: %s%n- OS: %s%n"
            + "- disk write+fsync (4 KiB, %d samples): p50 %.3f ms, p99 %.3f ms, mean %.3f ms (~%.0f fsyncs/s)%n",
        cores, cpuModel, jdk, os, fsync.samples(), fsync.p50Ms(), fsync.p99Ms(), fsync.meanMs(),
        fsync.fsyncsPerSecond());
  }
}
