package io.keel.chaos.workload.listappend;

import io.keel.chaos.checker.Verdict;
import io.keel.chaos.checker.txn.ListAppendChecker;
import io.keel.chaos.checker.txn.TxnCheckResult;
import io.keel.chaos.checker.txn.TxnHistory;
import io.keel.chaos.checker.txn.TxnOp;
import io.keel.chaos.cluster.DockerCluster;
import io.keel.chaos.cluster.NodeImage;
import io.keel.chaos.history.History;
import io.keel.chaos.history.Op;
import io.keel.chaos.history.Recorder;
import io.keel.chaos.nemesis.Nemesis;
import io.keel.chaos.nemesis.Schedule;
import io.keel.chaos.report.TxnReport;
import io.keel.chaos.workload.RunOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One list-append run end to end: start the Docker cluster, run {@link ListAppendWorkload} and the nemesis
 * schedule for the time limit, heal, then save the txn history (history.jsonl) and the nemesis events
 * (nemesis.jsonl), check strict serializability with {@link ListAppendChecker}, and write report.txt /
 * report.html and the members' logs into {@code <runsDir>/<timestamp>-<seed>-list-append/}.
 */
public final class ListAppendRun {
  private static final Logger LOG = LoggerFactory.getLogger(ListAppendRun.class);
  /** Bounds each client's txns (the time limit normally ends the run first). */
  private static final int MAX_TXNS_PER_THREAD = 200_000;
  private static final int KEYS = 8;
  private static final int MAX_APPENDS_PER_KEY = 64;
  private static final long BACKOFF_AFTER_UNKNOWN_MS = 200;
  private static final int MAX_NEMESIS_EVENTS = 100_000;

  /** What a run produced. */
  public record Summary(Path dir, TxnCheckResult result, long txns, long ok, long failed, long unknown,
      int faultsInjected, double txnsPerSecond, String reportText) {
    /** 0 valid, 1 anomaly, 2 unknown: the command's exit code. */
    public int exitCode() {
      return ListAppendRun.exitCode(result.verdict());
    }
  }

  private ListAppendRun() {
  }

  /** The exit code for a verdict: 0 valid, 1 anomaly, 2 unknown. */
  public static int exitCode(Verdict v) {
    return v == Verdict.VALID ? 0 : v == Verdict.INVALID ? 1 : 2;
  }

  /** The workload options a run with {@code o} uses. */
  public static ListAppendWorkload.Options workloadOptions(RunOptions o) {
    return new ListAppendWorkload.Options(o.concurrency(), MAX_TXNS_PER_THREAD, KEYS, "la" + o.seed() + "-",
        MAX_APPENDS_PER_KEY, o.seed(), o.opTimeoutMs(), o.timeLimitMs(), false);
  }

  public static Summary run(RunOptions o) throws IOException, InterruptedException {
    List<Nemesis> nemeses = o.nemeses().stream().map(Nemesis::named).toList();
    ListAppendWorkload.Options wo = workloadOptions(o);
    String image = o.image() != null ? o.image() : NodeImage.build(NodeImage.projectRoot());
    Path dir = o.runsDir().resolve(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC)
        .format(Instant.now()) + "-" + o.seed() + "-list-append");
    Files.createDirectories(dir);
    LOG.info("list-append run in {}: image {}, {} nodes, nemeses {}, {} ms, concurrency {}, faults {}", dir,
        image, o.nodes(), o.nemeses(), o.timeLimitMs(), o.concurrency(), o.testingFaults());
    Recorder nemesisRec = new Recorder(MAX_NEMESIS_EVENTS);
    TxnHistory h;
    int faults;
    long runNanos;
    try (DockerCluster cluster = DockerCluster.start(image, o.nodes(), o.testingFaults(),
        Nemesis.memberTools(nemeses))) {
      long t0 = System.nanoTime();
      long deadline = t0 + o.timeLimitMs() * 1_000_000L;
      Schedule schedule = new Schedule(cluster, nemeses, nemesisRec, o.seed(), o.quietMs(), o.faultMs(), deadline);
      Thread nemesisThread = new Thread(schedule, "chaos-nemesis");
      nemesisThread.start();
      try {
        h = ListAppendWorkload.run(t -> cluster.nodes().get(t % cluster.nodes().size()).channel(), wo,
            BACKOFF_AFTER_UNKNOWN_MS);
      } finally {
        nemesisThread.join(o.faultMs() + o.quietMs() + 60_000);
        if (nemesisThread.isAlive()) {
          nemesisThread.interrupt();
          nemesisThread.join(30_000);
        }
      }
      runNanos = System.nanoTime() - t0;
      faults = schedule.faultsInjected();
      cluster.saveLogs(dir.resolve("logs"));
    }
    h.save(dir.resolve("history.jsonl"));
    History nemesisHistory = nemesisRec.history();
    nemesisHistory.save(dir.resolve("nemesis.jsonl"));
    TxnCheckResult result = ListAppendChecker.check(h);
    long ok = count(h, Op.Type.OK);
    long failed = count(h, Op.Type.FAIL);
    long unknown = count(h, Op.Type.INFO);
    long txns = ok + failed + unknown;
    double perSec = txns / (runNanos / 1e9);
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("workload", "list-append");
    facts.put("nemeses", String.join(",", o.nemeses()));
    facts.put("nodes", Integer.toString(o.nodes()));
    facts.put("concurrency", Integer.toString(o.concurrency()));
    facts.put("time limit s", Long.toString(o.timeLimitMs() / 1000));
    facts.put("seed", Long.toString(o.seed()));
    if (!o.testingFaults().isEmpty()) {
      facts.put("unsafe testing faults", String.join(",", o.testingFaults()));
    }
    facts.put("txns", txns + " (ok " + ok + ", failed " + failed + ", unknown " + unknown + ")");
    facts.put("txns/s", String.format("%.1f", perSec));
    TxnReport report = new TxnReport("Keel chaos: list-append", result, facts,
        nemesisHistory.events().stream().filter(Op::isNemesis).toList());
    report.write(dir);
    LOG.info("list-append run done: {} — {} anomalies; report {}", result.verdict(), result.anomalies().size(),
        dir.resolve("report.txt"));
    return new Summary(dir, result, txns, ok, failed, unknown, faults, perSec, report.text());
  }

  private static long count(TxnHistory h, Op.Type t) {
    return h.events().stream().filter(e -> e.type() == t).count();
  }
}
