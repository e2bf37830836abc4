package io.keel.bench.compare;

import io.keel.bench.report.Charts;
import io.keel.bench.report.MachineFacts;
import io.keel.bench.report.MarkdownTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes the watch suite's report: a Markdown table per (watchers, system), a ratio table (keel/etcd) and
 * two PNG charts (bytes per watcher and delivery p99 against the watcher count).
 */
public final class WatchReport {

  private WatchReport() {}

  /** keel/etcd ratio, NaN when either side is missing or the denominator is not positive. */
  public static double ratio(double keel, double etcd) {
    return Double.isNaN(keel) || Double.isNaN(etcd) || etcd <= 0 ? Double.NaN : keel / etcd;
  }

  static String fmt(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f", v);
  }

  static WatchSuite.Point find(List<WatchSuite.Point> points, int watchers, String system, int round) {
    return points.stream().filter(p -> p.watchers() == watchers && p.system().equals(system) && p.round() == round)
        .findFirst().orElse(null);
  }

  public static Path write(Path outDir, CompareRunner.Settings settings, double writeRate, int putsPerTxn,
      List<WatchSuite.Point> points, CompareRunner.Outcome outcome, MachineFacts machine, String invocation)
      throws IOException {
    Files.createDirectories(outDir);
    MarkdownTable all = new MarkdownTable("watchers", "system", "round", "RSS before MiB", "RSS after MiB", "bytes/watcher", "JVM heap B/watcher",
        "writes/s", "send p50 ms", "send p99 ms", "send p99.9 ms", "commit p50 ms", "commit p99 ms",
        "commit p99.9 ms", "events before commit", "events/expected", "put errors", "member CPU us/write",
        "member CPU by thread");
    for (WatchSuite.Point p : points) {
      all.row(p.watchers(), p.system(), p.round(), fmt(p.rssBeforeBytes() / 1048576.0), fmt(p.rssAfterBytes() / 1048576.0),
          String.format(Locale.ROOT, "%.0f", p.bytesPerWatcher()), fmt(p.heapBytesPerWatcher()),
          String.format(Locale.ROOT, "%.0f", p.writesPerSecond()), fmt(p.deliveryMs(50)), fmt(p.deliveryMs(99)),
          fmt(p.deliveryMs(99.9)), fmt(p.fromCommitMs(50)), fmt(p.fromCommitMs(99)), fmt(p.fromCommitMs(99.9)),
          p.eventsBeforeCommit(), p.events() + "/" + p.expectedEvents(), p.putErrors(),
          fmt(p.memberCpuMicrosPerWrite()), p.threadCpu().isEmpty() ? "n/a" : p.threadCpu());
    }
    List<Integer> counts = points.stream().map(WatchSuite.Point::watchers).distinct().sorted().toList();
    List<Integer> rounds = points.stream().map(WatchSuite.Point::round).distinct().sorted().toList();
    MarkdownTable ratios = new MarkdownTable("watchers", "round", "bytes/watcher keel/etcd", "send p50 keel/etcd",
        "send p99 keel/etcd", "send p99.9 keel/etcd", "commit p50 keel/etcd", "commit p99 keel/etcd");
    for (int n : counts) {
      for (int round : rounds) {
        WatchSuite.Point k = find(points, n, "keel", round);
        WatchSuite.Point e = find(points, n, "etcd", round);
        if (k != null && e != null) {
          ratios.row(n, round, fmt(ratio(k.bytesPerWatcher(), e.bytesPerWatcher())), fmt(ratio(k.deliveryMs(50),
            e.deliveryMs(50))), fmt(ratio(k.deliveryMs(99), e.deliveryMs(99))),
            fmt(ratio(k.deliveryMs(99.9), e.deliveryMs(99.9))), fmt(ratio(k.fromCommitMs(50), e.fromCommitMs(50))),
            fmt(ratio(k.fromCommitMs(99), e.fromCommitMs(99))));
        }
      }
    }
    List<Charts.Series> mem = new ArrayList<>();
    List<Charts.Series> lat = new ArrayList<>();
    for (String s : settings.systems()) {
      int last = rounds.isEmpty() ? 1 : rounds.get(rounds.size() - 1);
      List<WatchSuite.Point> mine = points.stream().filter(p -> p.system().equals(s) && p.round() == last).toList();
      if (mine.isEmpty()) {
        continue;
      }
      double[] x = mine.stream().mapToDouble(WatchSuite.Point::watchers).toArray();
      mem.add(new Charts.Series(s, x, mine.stream().mapToDouble(WatchSuite.Point::bytesPerWatcher).toArray()));
      lat.add(new Charts.Series(s + " (from send)", x, mine.stream().mapToDouble(p -> p.deliveryMs(99)).toArray()));
      lat.add(new Charts.Series(s + " (from commit)", x,
          mine.stream().mapToDouble(p -> p.fromCommitMs(99)).toArray()));
    }
    Charts.lineChart("Server RSS growth per idle watcher", "watchers", "bytes/watcher", mem, true,
        outDir.resolve("watch-bytes-per-watcher.png"));
    Charts.lineChart("Event delivery p99 (from put sent / from put response)", "watchers", "ms", lat, true,
        outDir.resolve("watch-delivery-p99.png"));

    StringBuilder md = new StringBuilder();
    md.append("# Keel vs etcd — watch suite (").append(Instant.now()).append(")\n\n");
    md.append(String.format(Locale.ROOT,
        "Members per cluster: %d; watchers on the first member, %d per stream, one distinct key each. Memory: "
            + "VmRSS of that member before and after opening the watchers (Keel after `jcmd GC.run`), delta / N; for Keel also the JVM's used "
            + "heap after GC (`jcmd GC.heap_info`), delta / N. Latency: writes (puts) to the watched "
            + "keys at %.0f/s, %d puts per request (1 = Put, more = one Txn: one revision), for at most %d s by %d clients, measured from the put being sent (`send`) and from its response "
            + "being received (`commit`: the write is visible to the writer; an event that arrives before the response "
            + "counts as 0 and in `events before commit`), HdrHistogram. Before the first point each system is warmed "
            + "up (not recorded) for %d s with the smallest point's watchers and the same writes. Each watcher count runs "
            + "%d round(s), systems alternating within a round; RSS growth is meaningful only in round 1 (a process "
            + "rarely returns memory), heap B/watcher in every round. Member CPU: user + system time of the member "
            + "process over the measured writes and the drain of their events, per write, and split by thread name "
            + "(/proc task stat). Charts use the last round. Ratios keel/etcd: < 1 favours Keel.\n\n",
        settings.members(), WatchSuite.WATCHERS_PER_STREAM, writeRate, putsPerTxn, settings.secondsPerPoint(),
        WatchSuite.putClients(writeRate / putsPerTxn), settings.warmupSeconds(), settings.rounds()));
    md.append(ratios.render()).append('\n').append(all.render()).append('\n');
    md.append("## Machine\n\n").append(machine.toMarkdown()).append('\n');
    md.append("The machine is shared with other work (builds, tests): treat small differences as noise.\n\n");
    md.append("![bytes per watcher](watch-bytes-per-watcher.png)\n![delivery p99](watch-delivery-p99.png)\n\n");
    md.append("## Commands\n\n```\n").append(invocation).append("\n```\n\nCluster members:\n\n```\n");
    outcome.clusterCommands().forEach((s, cmds) -> cmds.forEach(c -> md.append(String.join(" ", c)).append('\n')));
    md.append("```\n");
    Path report = outDir.resolve("report.md");
    Files.writeString(report, md.toString());
    return report;
  }
}
