package io.keel.bench.cli;

import io.keel.bench.cluster.EtcdCluster;
import io.keel.bench.cluster.KeelCluster;
import io.keel.bench.compare.CompareReport;
import io.keel.bench.compare.CompareRunner;
import io.keel.bench.compare.KvSuite;
import io.keel.bench.compare.WatchReport;
import io.keel.bench.compare.WatchSuite;
import io.keel.bench.report.MachineFacts;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench compare --suite kv}: starts a Keel cluster and a real etcd cluster of the same size on
 * loopback, runs the suite against both alternating per data point, and writes a report directory.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
    description = "Run a suite against Keel and real etcd side by side and write a report")
public final class CompareCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--suite", defaultValue = "kv", description = "Suite to run: kv or watch (default: ${DEFAULT-VALUE})")
  String suite;

  @Option(names = "--members", defaultValue = "1", description = "Members per cluster: 1 or 3 (default: ${DEFAULT-VALUE})")
  int members;

  @Option(names = "--systems", split = ",", defaultValue = "keel,etcd", description = "Systems to run, alternating in this order (default: ${DEFAULT-VALUE})")
  List<String> systems;

  @Option(names = "--keel-jar", defaultValue = "server/target/keel-server.jar", description = "Keel server jar (default: ${DEFAULT-VALUE})")
  Path keelJar;

  @Option(names = "--keel-jvm-opt", description = "Extra JVM option for Keel members (repeatable)")
  List<String> keelJvmOptions = new ArrayList<>();

  @Option(names = "--etcd-bin", defaultValue = "/usr/bin/etcd", description = "etcd binary (default: ${DEFAULT-VALUE})")
  Path etcdBinary;

  @Option(names = "--point-total", defaultValue = "200000", description = "Request budget of each run (default: ${DEFAULT-VALUE})")
  long pointTotal;

  @Option(names = "--point-seconds", defaultValue = "3", description = "Time limit of each run (default: ${DEFAULT-VALUE})")
  long pointSeconds;

  @Option(names = "--rounds", defaultValue = "1", description = "Runs per (data point, system) (default: ${DEFAULT-VALUE})")
  int rounds;

  @Option(names = "--request-timeout-ms", defaultValue = "10000", description = "Deadline of each request (default: ${DEFAULT-VALUE})")
  long requestTimeoutMs;

  @Option(names = "--warmup-seconds", defaultValue = "10",
      description = "kv suite: puts at 1000 clients to each system before its first data point, for JIT and caches (default: ${DEFAULT-VALUE})")
  long warmupSeconds;

  @Option(names = "--watchers", split = ",", defaultValue = "1000,10000",
      description = "watch suite: watcher counts, multiples of 1000 (default: ${DEFAULT-VALUE})")
  List<Integer> watchers;

  @Option(names = "--write-rate", defaultValue = "1000",
      description = "watch suite: writes (puts) per second during the latency run (default: ${DEFAULT-VALUE})")
  double writeRate;

  @Option(names = "--puts-per-txn", defaultValue = "1",
      description = "watch suite: puts per write request; more than 1 sends one Txn of that many puts (default: ${DEFAULT-VALUE})")
  int putsPerTxn;

  @Option(names = "--out", description = "Report directory (default: bench/target/reports/<suite>-<members>m-<time>)")
  Path out;

  /** The arguments after "compare" on the original command line. */
  private List<String> ownArgs() {
    List<String> all = spec.commandLine().getParseResult().originalArgs();
    int i = all.indexOf("compare");
    return i < 0 ? all : all.subList(i + 1, all.size());
  }

  @Override
  public Integer call() throws Exception {
    LogLevels.quiet();
    System.setProperty("java.awt.headless", "true");
    try {
      if (!"kv".equals(suite) && !"watch".equals(suite)) {
        throw new IllegalArgumentException("unknown --suite '" + suite + "' (known: kv, watch)");
      }
      Path dir = out != null ? out : Path.of("bench", "target", "reports", suite + "-" + members + "m-"
          + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
      CompareRunner.Settings settings = new CompareRunner.Settings(systems, members, dir.toAbsolutePath(),
          keelJar == null ? KeelCluster.DEFAULT_JAR : keelJar, keelJvmOptions,
          etcdBinary == null ? EtcdCluster.DEFAULT_BINARY : etcdBinary, pointTotal, pointSeconds, rounds,
          requestTimeoutMs, warmupSeconds);
      System.out.println("measuring machine facts (fsync probe)...");
      MachineFacts machine = MachineFacts.collect(settings.outDir());
      String invocation = "bin/keel bench compare " + String.join(" ", ownArgs());
      if ("watch".equals(suite)) {
        List<WatchSuite.Point> points = new ArrayList<>();
        CompareRunner.Outcome outcome = new WatchSuite(settings, writeRate, putsPerTxn, System.out)
            .run(watchers, points);
        System.out.println("report: " + WatchReport.write(settings.outDir(), settings, writeRate, putsPerTxn, points,
            outcome,
            machine, invocation));
        return 0;
      }
      CompareRunner.Outcome outcome = new CompareRunner(settings, System.out).run(KvSuite.points());
      Path report = CompareReport.write(settings.outDir(), settings, outcome, machine, invocation);
      System.out.println("report: " + report);
      return 0;
    } catch (IllegalArgumentException | IllegalStateException | IOException e) {
      System.err.println("bench compare: error: " + e.getMessage());
      return 2;
    }
  }
}
