package io.keel.chaos.cli;

import io.keel.chaos.checker.txn.ListAppendChecker;
import io.keel.chaos.checker.txn.TxnCheckResult;
import io.keel.chaos.checker.txn.TxnHistory;
import io.keel.chaos.report.TxnReport;
import io.keel.chaos.workload.ChaosRun;
import io.keel.chaos.workload.RunOptions;
import io.keel.chaos.workload.WorkloadReport;
import io.keel.chaos.workload.Workloads;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keel chaos}: runs one chaos test against a Docker cluster of Keel members and checks its history.
 * Exit code 0 when every workload's checker found its history valid, 1 when an anomaly was found, 2 when a checker
 * could not decide, 3 on error.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true,
    description = "Run a Jepsen-style chaos test against a Keel cluster in Docker and check the history.")
public final class ChaosCommand implements Callable<Integer> {
  /** The workloads {@code --workload} accepts. */
  static final List<String> WORKLOADS = java.util.stream.Stream.concat(Workloads.NAMES.stream(),
      java.util.stream.Stream.of("all")).toList();

  @Option(names = "--workload", defaultValue = "register",
      description = "Workload: register (linearizability per key), list-append (strict serializability), set "
          + "(unique adds, final read), watch (watchers on every member vs the writers' revisions), lease (kept-alive "
          + "keys never vanish, expired leases' keys go in one revision), or all (every workload at once on one "
          + "cluster, one report with a verdict per workload).")
  String workload;

  @Option(names = "--nemesis", defaultValue = "partition,kill", split = ",",
      description = "Comma-separated nemeses (mixed at random): partition, partition-halves, isolate-leader, "
          + "one-way, kill, pause, lost-writes (kill -9 of one, a majority or all members, each restarting from "
          + "only what it fsynced), lost-writes-one, lost-writes-majority, lost-writes-all, bitflip (one bit of a "
          + "WAL segment or snapshot file), clock (wall-clock jumps), membership (remove a member, "
          + "re-add it empty, sometimes as a learner then promoted), or none.")
  List<String> nemeses;

  @Option(names = "--time-limit", defaultValue = "60s", description = "How long clients run, e.g. 60s, 10m.")
  String timeLimit;

  @Option(names = "--concurrency", defaultValue = "10", description = "Client threads.")
  int concurrency;

  @Option(names = "--nodes", defaultValue = "3", description = "Cluster size.")
  int nodes;

  @Option(names = "--op-timeout", defaultValue = "1s", description = "Client request deadline.")
  String opTimeout;

  @Option(names = "--quiet", defaultValue = "5s", description = "Healthy time between faults.")
  String quiet;

  @Option(names = "--fault", defaultValue = "8s", description = "How long each fault lasts.")
  String fault;

  @Option(names = "--seed", defaultValue = "1", description = "Random seed.")
  long seed;

  @Option(names = "--image", description = "Node image to use (default: build with scripts/build-node-image.sh).")
  String image;

  @Option(names = "--unsafe-testing-faults", defaultValue = "", hidden = true,
      description = "Deliberate member bugs (negative controls), e.g. local-linearizable-reads.")
  String testingFaults;

  @Option(names = "--runs-dir", defaultValue = "chaos/target/runs", description = "Where run directories go.")
  Path runsDir;

  @Option(names = "--check-history", description = "Only check a saved history.jsonl (no cluster) and report; for "
      + "watch and lease, the workload's directory of a run.")
  Path checkHistory;

  @Override
  public Integer call() throws Exception {
    if (!WORKLOADS.contains(workload)) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--workload: expected one of " + WORKLOADS + ", got '" + workload + "'");
    }
    if (checkHistory != null && workload.equals("list-append")) {
      TxnCheckResult r = ListAppendChecker.check(TxnHistory.load(checkHistory));
      System.out.println(new TxnReport("Keel chaos: list-append check of " + checkHistory, r, Map.of(), List.of())
          .text());
      return WorkloadReport.exitCode(r.verdict());
    }
    Integer rechecked = checkHistory == null ? null : Recheck.run(workload, checkHistory, System.out);
    if (rechecked != null) {
      return rechecked;
    }
    if (checkHistory != null) {
      io.keel.chaos.history.History h = io.keel.chaos.history.History.load(checkHistory);
      io.keel.chaos.checker.CheckResult r = io.keel.chaos.checker.RegisterChecker.standard().check(h);
      io.keel.chaos.report.Report rep = new io.keel.chaos.report.Report("Keel chaos: check of " + checkHistory, h, r,
          java.util.Map.of());
      System.out.println(rep.text());
      return WorkloadReport.exitCode(r.verdict());
    }
    List<String> ns = new ArrayList<>();
    for (String n : nemeses) {
      if (!n.isBlank() && !n.equals("none")) {
        ns.add(n.trim());
      }
    }
    ns.forEach(io.keel.chaos.nemesis.Nemesis::named); // validates names before anything starts
    RunOptions o = new RunOptions(image, nodes, ns, parseMs("--time-limit", timeLimit), concurrency,
        parseMs("--op-timeout", opTimeout), parseMs("--quiet", quiet), parseMs("--fault", fault), seed,
        testingFaults.isBlank() ? Set.of() : Set.of(testingFaults.split(",")), runsDir);
    ChaosRun.Summary s = ChaosRun.run(o, List.of(workload));
    System.out.println(s.reportText());
    System.out.println("run directory: " + s.dir().toAbsolutePath());
    return s.exitCode();
  }

  /** Parses "60s", "10m", "500ms", "1h" or a bare number of seconds into milliseconds. */
  static long parseMs(String flag, String v) {
    String s = v.trim().toLowerCase();
    try {
      if (s.endsWith("ms")) {
        return Long.parseLong(s.substring(0, s.length() - 2));
      }
      long mul = switch (s.isEmpty() ? ' ' : s.charAt(s.length() - 1)) {
        case 's' -> 1000;
        case 'm' -> 60_000;
        case 'h' -> 3_600_000;
        default -> 0;
      };
      return mul == 0 ? Long.parseLong(s) * 1000 : Long.parseLong(s.substring(0, s.length() - 1)) * mul;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + ": '" + v + "' is not a duration (e.g. 60s, 10m, 500ms)");
    }
  }

  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new ChaosCommand());
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      System.err.println("keel chaos: " + e.getMessage());
      return 3;
    });
    System.exit(cl.execute(args));
  }
}
