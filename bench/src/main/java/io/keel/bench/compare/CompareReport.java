package io.keel.bench.compare;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.keel.bench.report.BenchResult;
import io.keel.bench.report.Charts;
import io.keel.bench.report.MachineFacts;
import io.keel.bench.report.MarkdownTable;
import io.keel.bench.report.ProcessCpu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a comparison's report directory: {@code report.md} (ratio table, machine facts, exact commands),
 * {@code results.json} (every run), a throughput-per-clients chart per workload and a latency CDF per data
 * point (PNG).
 */
public final class CompareReport {

  private CompareReport() {}

  /** Per (data point, system): averages over rounds, plus the last round for the CDF. */
  record Aggregate(double ratePerSecond, double p50Seconds, double p99Seconds, long errors, BenchResult last,
      double serverCpuMsPerOp, double loadCpuMsPerOp, double hostStealFraction) {}

  /**
   * @param invocation the exact command line that produced the report
   * @return the path of report.md
   */
  public static Path write(Path outDir, CompareRunner.Settings settings, CompareRunner.Outcome outcome,
      MachineFacts machine, String invocation) throws IOException {
    Files.createDirectories(outDir);
    Map<KvSuite.DataPoint, Map<String, Aggregate>> agg = aggregate(outcome.results());
    List<String> systems = settings.systems();

    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("generated", Instant.now().toString());
    all.put("invocation", invocation);
    all.put("machine", machine);
    all.put("runs", outcome.results());
    json.writeValue(outDir.resolve("results.json").toFile(), all);

    List<String> charts = writeCharts(outDir, agg, systems);

    StringBuilder md = new StringBuilder();
    md.append("# Keel vs etcd — kv suite (").append(Instant.now()).append(")\n\n");
    md.append(String.format(Locale.ROOT,
        "Members per cluster: %d. Each run: at most %d requests or %d s, whichever first; %d round(s), systems "
            + "alternating per data point (%s). Ratios are keel/etcd: throughput > 1 and p99 < 1 favour Keel. "
            + "Both servers fsync (their defaults) and run side by side on this machine with the load generator.\n\n",
        settings.members(), settings.totalPerPoint(), settings.secondsPerPoint(), settings.rounds(),
        String.join(", ", systems)));
    md.append(table(agg, systems).render()).append('\n');
    md.append("## CPU time per operation\n\n");
    md.append("User + system CPU (/proc/<pid>/stat) of all members of a cluster over each data point, divided by the "
        + "requests it completed; the load generator's own CPU alongside. Lower is better; on a saturated "
        + "machine the throughput ratio tends to the inverse of the CPU/op ratio.\n\n");
    md.append(cpuTable(agg).render()).append('\n');
    md.append("## Every run\n\nHost steal is the share of the machine's CPU time (/proc/stat) the hypervisor gave "
        + "to other guests during the run.\n\n");
    md.append(roundsTable(outcome.results()).render()).append('\n');
    md.append("## Machine\n\n").append(machine.toMarkdown()).append('\n');
    md.append("The machine is shared with other work (builds, tests): treat small differences as noise.\n\n");
    md.append("## Charts\n\n");
    for (String c : charts) {
      md.append("![").append(c).append("](").append(c).append(")\n");
    }
    md.append("\n## Commands\n\nThis report:\n\n```\n").append(invocation).append("\n```\n\n");
    md.append("Cluster members:\n\n```\n");
    outcome.clusterCommands().forEach((s, cmds) -> cmds.forEach(c -> md.append(String.join(" ", c)).append('\n')));
    md.append("```\n\nEach data point as a standalone command:\n\n```\n");
    outcome.equivalentCommands().forEach(c -> md.append(c).append('\n'));
    md.append("```\n");
    Path report = outDir.resolve("report.md");
    Files.writeString(report, md.toString());
    return report;
  }

  static Map<KvSuite.DataPoint, Map<String, Aggregate>> aggregate(List<CompareRunner.PointResult> results) {
    Map<KvSuite.DataPoint, Map<String, List<CompareRunner.PointResult>>> grouped = new LinkedHashMap<>();
    for (CompareRunner.PointResult r : results) {
      grouped.computeIfAbsent(r.point(), k -> new LinkedHashMap<>())
          .computeIfAbsent(r.system(), k -> new ArrayList<>()).add(r);
    }
    Map<KvSuite.DataPoint, Map<String, Aggregate>> out = new LinkedHashMap<>();
    grouped.forEach((p, bySystem) -> {
      Map<String, Aggregate> m = new LinkedHashMap<>();
      bySystem.forEach((s, prs) -> {
        List<BenchResult> rs = prs.stream().map(CompareRunner.PointResult::result).toList();
        // CPU per op over all rounds: total CPU / total ops (rounds without a reading are left out)
        long ops = prs.stream().filter(r -> r.cpu() != null).mapToLong(r -> r.cpu().ops()).sum();
        long server = prs.stream().filter(r -> r.cpu() != null).mapToLong(r -> r.cpu().serverCpuNanos()).sum();
        long load = prs.stream().filter(r -> r.cpu() != null).mapToLong(r -> r.cpu().loadCpuNanos()).sum();
        long steal = prs.stream().filter(r -> r.cpu() != null).mapToLong(r -> r.cpu().hostStealTicks()).sum();
        long host = prs.stream().filter(r -> r.cpu() != null).mapToLong(r -> r.cpu().hostTotalTicks()).sum();
        m.put(s, new Aggregate(
            rs.stream().mapToDouble(BenchResult::ratePerSecond).average().orElse(0),
            rs.stream().mapToDouble(r -> r.percentile("50")).average().orElse(Double.NaN),
            rs.stream().mapToDouble(r -> r.percentile("99")).average().orElse(Double.NaN),
            rs.stream().mapToLong(BenchResult::errors).sum(),
            rs.get(rs.size() - 1),
            ops > 0 && server > 0 ? server / 1e6 / ops : Double.NaN,
            ops > 0 && load > 0 ? load / 1e6 / ops : Double.NaN,
            host > 0 ? (double) steal / host : Double.NaN));
      });
      out.put(p, m);
    });
    return out;
  }

  /**
   * CPU time per operation: the members' (utime + stime from /proc, summed over all members) and the load
   * generator's, over each data point. Load-robust where throughput is not: on a saturated machine throughput
   * is roughly inversely proportional to the CPU every process spends per operation.
   */
  static MarkdownTable cpuTable(Map<KvSuite.DataPoint, Map<String, Aggregate>> agg) {
    MarkdownTable t = new MarkdownTable("data point", "keel members CPU ms/op", "etcd members CPU ms/op",
        "CPU/op keel/etcd", "load tool CPU ms/op (keel run)", "load tool CPU ms/op (etcd run)",
        "host steal % (keel runs / etcd runs)");
    agg.forEach((p, m) -> {
      Aggregate k = m.get("keel");
      Aggregate e = m.get("etcd");
      t.row(p.id(), k == null ? "-" : fmt(k.serverCpuMsPerOp(), 3), e == null ? "-" : fmt(e.serverCpuMsPerOp(), 3),
          k == null || e == null ? "n/a" : ratio(k.serverCpuMsPerOp(), e.serverCpuMsPerOp()),
          k == null ? "-" : fmt(k.loadCpuMsPerOp(), 3), e == null ? "-" : fmt(e.loadCpuMsPerOp(), 3),
          (k == null ? "-" : fmt(k.hostStealFraction() * 100, 0)) + " / "
              + (e == null ? "-" : fmt(e.hostStealFraction() * 100, 0)));
    });
    return t;
  }

  /** Every run on its own, in the order they ran: rounds differ when the host's load does. */
  static MarkdownTable roundsTable(List<CompareRunner.PointResult> results) {
    MarkdownTable t = new MarkdownTable("data point", "round", "system", "req/s", "p50 ms", "p99 ms", "errors",
        "members CPU ms/op", "host steal %");
    for (CompareRunner.PointResult r : results) {
      ProcessCpu.Usage cpu = r.cpu();
      t.row(r.point().id(), r.round(), r.system(), fmt(r.result().ratePerSecond(), 1),
          fmt(r.result().percentile("50") * 1000, 3), fmt(r.result().percentile("99") * 1000, 3),
          r.result().errors(), cpu == null ? "-" : fmt(cpu.serverMsPerOp(), 3),
          cpu == null ? "-" : fmt(cpu.hostStealFraction() * 100, 0));
    }
    return t;
  }

  static MarkdownTable table(Map<KvSuite.DataPoint, Map<String, Aggregate>> agg, List<String> systems) {
    MarkdownTable t = new MarkdownTable("data point", "clients", "conns", "keel req/s", "etcd req/s",
        "throughput keel/etcd", "keel p50 ms", "etcd p50 ms", "keel p99 ms", "etcd p99 ms", "p99 keel/etcd",
        "errors keel/etcd");
    agg.forEach((p, m) -> {
      Aggregate k = m.get("keel");
      Aggregate e = m.get("etcd");
      t.row(p.id(), p.clients(), p.conns(),
          k == null ? "-" : fmt(k.ratePerSecond(), 1), e == null ? "-" : fmt(e.ratePerSecond(), 1),
          k == null || e == null ? "n/a" : ratio(k.ratePerSecond(), e.ratePerSecond()),
          k == null ? "-" : fmt(k.p50Seconds() * 1000, 3), e == null ? "-" : fmt(e.p50Seconds() * 1000, 3),
          k == null ? "-" : fmt(k.p99Seconds() * 1000, 3), e == null ? "-" : fmt(e.p99Seconds() * 1000, 3),
          k == null || e == null ? "n/a" : ratio(k.p99Seconds(), e.p99Seconds()),
          (k == null ? "-" : Long.toString(k.errors())) + "/" + (e == null ? "-" : Long.toString(e.errors())));
    });
    return t;
  }

  static String ratio(double a, double b) {
    return b > 0 && !Double.isNaN(a) && !Double.isNaN(b) ? fmt(a / b, 2) : "n/a";
  }

  private static String fmt(double v, int decimals) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  private static List<String> writeCharts(Path outDir, Map<KvSuite.DataPoint, Map<String, Aggregate>> agg,
      List<String> systems) throws IOException {
    List<String> files = new ArrayList<>();
    for (KvSuite.Workload w : KvSuite.Workload.values()) {
      List<Charts.Series> series = new ArrayList<>();
      for (String s : systems) {
        List<double[]> pts = new ArrayList<>();
        agg.forEach((p, m) -> {
          if (p.workload() == w && m.containsKey(s)) {
            pts.add(new double[] {p.clients(), m.get(s).ratePerSecond()});
          }
        });
        if (!pts.isEmpty()) {
          series.add(new Charts.Series(s, pts.stream().mapToDouble(a -> a[0]).toArray(),
              pts.stream().mapToDouble(a -> a[1]).toArray()));
        }
      }
      if (!series.isEmpty()) {
        String name = "throughput-" + w.label() + ".png";
        Charts.lineChart(w.label() + ": throughput by clients", "clients", "requests/s", series, true,
            outDir.resolve(name));
        files.add(name);
      }
    }
    for (Map.Entry<KvSuite.DataPoint, Map<String, Aggregate>> e : agg.entrySet()) {
      Map<String, BenchResult> bySystem = new LinkedHashMap<>();
      e.getValue().forEach((s, a) -> bySystem.put(s, a.last()));
      String name = "latency-cdf-" + e.getKey().id() + ".png";
      if (bySystem.values().stream().anyMatch(r -> r.count() > 0)) {
        Charts.latencyCdf(e.getKey().id() + ": latency CDF", bySystem, outDir.resolve(name));
        files.add(name);
      }
    }
    return files;
  }
}
