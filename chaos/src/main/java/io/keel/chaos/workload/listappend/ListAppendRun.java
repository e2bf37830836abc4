package io.keel.chaos.workload.listappend;

import io.keel.chaos.checker.txn.ListAppendChecker;
import io.keel.chaos.checker.txn.TxnCheckResult;
import io.keel.chaos.checker.txn.TxnHistory;
import io.keel.chaos.cluster.DockerCluster;
import io.keel.chaos.history.Op;
import io.keel.chaos.report.RunReport;
import io.keel.chaos.report.TxnReport;
import io.keel.chaos.workload.RunOptions;
import io.keel.chaos.workload.Workload;
import io.keel.chaos.workload.WorkloadReport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The list-append workload as a {@link Workload} plug-in: runs {@link ListAppendWorkload} (client t bound to
 * member t mod n, following a restarted member's new port), saves the txn history (history.jsonl) and checks
 * strict serializability with {@link ListAppendChecker}; its section lists each anomaly.
 */
public final class ListAppendRun implements Workload {
  /** Bounds each client's txns (the time limit normally ends the run first). */
  private static final int MAX_TXNS_PER_THREAD = 200_000;
  private static final int KEYS = 8;
  private static final int MAX_APPENDS_PER_KEY = 64;
  private static final long BACKOFF_AFTER_UNKNOWN_MS = 200;

  private final ListAppendWorkload.Options options;
  private volatile TxnHistory history = new TxnHistory(List.of());
  private volatile double seconds = 1;

  public ListAppendRun(RunOptions o) {
    this.options = workloadOptions(o);
  }

  /** The workload options a run with {@code o} uses. */
  public static ListAppendWorkload.Options workloadOptions(RunOptions o) {
    return new ListAppendWorkload.Options(o.concurrency(), MAX_TXNS_PER_THREAD, KEYS, "la" + o.seed() + "-",
        MAX_APPENDS_PER_KEY, o.seed(), o.opTimeoutMs(), o.timeLimitMs(), false);
  }

  @Override
  public String name() {
    return "list-append";
  }

  @Override
  public void run(DockerCluster cluster, long deadlineNanos) throws InterruptedException {
    long t0 = System.nanoTime();
    history = ListAppendWorkload.run(t -> cluster.nodes().get(t % cluster.nodes().size()).channel(), options,
        BACKOFF_AFTER_UNKNOWN_MS);
    seconds = (System.nanoTime() - t0) / 1e9;
  }

  @Override
  public WorkloadReport check(Path dir, List<Op> nemesisEvents) throws IOException {
    TxnHistory h = history;
    h.save(dir.resolve("history.jsonl"));
    TxnCheckResult result = ListAppendChecker.check(h);
    long ok = count(h, Op.Type.OK);
    long failed = count(h, Op.Type.FAIL);
    long unknown = count(h, Op.Type.INFO);
    long txns = ok + failed + unknown;
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("txns", txns + " (ok " + ok + ", failed " + failed + ", unknown " + unknown + ")");
    facts.put("txns/s", String.format("%.1f", txns / seconds));
    TxnReport report = new TxnReport("Keel chaos: list-append", result, facts, nemesisEvents);
    report.write(dir);
    return new WorkloadReport(name(), result.verdict(), txns, ok, unknown, result.txnsChecked(),
        result.anomalies().size(), result.elapsedMs(), Map.of("history", dir.resolve("history.jsonl").toString()),
        report.text(), "<pre>" + io.keel.chaos.report.Html.esc(report.text()) + "</pre>");
  }

  private static long count(TxnHistory h, Op.Type t) {
    return h.events().stream().filter(e -> e.type() == t).count();
  }
}
