package io.keel.chaos.cli;

import io.keel.chaos.checker.FaultWindows;
import io.keel.chaos.checker.Findings;
import io.keel.chaos.checker.SetChecker;
import io.keel.chaos.checker.lease.LeaseChecker;
import io.keel.chaos.checker.lease.LeaseOp;
import io.keel.chaos.checker.watch.WatchChecker;
import io.keel.chaos.checker.watch.WatchLogEntry;
import io.keel.chaos.checker.watch.WatchWrite;
import io.keel.chaos.history.History;
import io.keel.chaos.history.JsonLines;
import io.keel.chaos.workload.WorkloadReport;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code --check-history} for the set, watch and lease workloads: re-checks a saved run without a cluster.
 * Set takes its history.jsonl; watch and lease take their workload directory (or any file in it), which holds
 * writes.jsonl + watch.jsonl (watch) or history.jsonl + watch.jsonl (lease; the run's nemesis.jsonl, when there,
 * gives the fault windows).
 */
final class Recheck {
  /** The lease workload's slack, as in a run (TTL 3 s + 5 s). */
  static final long LEASE_SLACK_MS = 8_000;

  private Recheck() {
  }

  /** The exit code, after printing the result; null when {@code workload} is not one of set, watch, lease. */
  static Integer run(String workload, Path path, PrintStream out) throws IOException {
    Path dir = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
    switch (workload) {
      case "set" -> {
        SetChecker.Result r = SetChecker.check(History.load(Files.isDirectory(path)
            ? path.resolve("history.jsonl") : path));
        out.println("set check of " + path + ": " + r.verdict() + " — " + r.reason());
        return WorkloadReport.exitCode(r.verdict());
      }
      case "watch" -> {
        Findings r = WatchChecker.check(JsonLines.load(dir.resolve("writes.jsonl"), WatchWrite.class, "watch write"),
            JsonLines.load(dir.resolve("watch.jsonl"), WatchLogEntry.class, "watch log entry"), false);
        out.println("watch check of " + dir + ": " + r.describe());
        return WorkloadReport.exitCode(r.verdict());
      }
      case "lease" -> {
        List<LeaseOp> ops = JsonLines.load(dir.resolve("history.jsonl"), LeaseOp.class, "lease op");
        String prefix = ops.stream().flatMap(o -> o.keys().stream()).findFirst()
            .map(k -> k.substring(0, k.indexOf('/') + 1)).orElse("");
        Findings r = LeaseChecker.check(ops, JsonLines.load(dir.resolve("watch.jsonl"), WatchLogEntry.class,
            "watch log entry"), prefix, LEASE_SLACK_MS, faultWindows(dir));
        out.println("lease check of " + dir + ": " + r.describe());
        return WorkloadReport.exitCode(r.verdict());
      }
      default -> {
        return null;
      }
    }
  }

  /** The run's fault windows, from nemesis.jsonl next to the workload's directory (none if absent). */
  private static FaultWindows faultWindows(Path workloadDir) throws IOException {
    Path nemesis = workloadDir.toAbsolutePath().getParent().resolve("nemesis.jsonl");
    return Files.exists(nemesis) ? FaultWindows.of(History.load(nemesis).events()) : FaultWindows.none();
  }
}
