package io.keel.chaos.workload;

import io.keel.chaos.checker.CheckResult;
import io.keel.chaos.checker.RegisterChecker;
import io.keel.chaos.cluster.DockerCluster;
import io.keel.chaos.cluster.NodeImage;
import io.keel.chaos.history.History;
import io.keel.chaos.history.Recorder;
import io.keel.chaos.nemesis.Nemesis;
import io.keel.chaos.nemesis.Schedule;
import io.keel.chaos.report.Report;
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
 * One register run end to end: start the cluster, run the clients and the nemesis schedule for the time
 * limit, heal, then save the history (history.jsonl), check it, and write report.txt / report.html and the
 * members' logs into {@code <runsDir>/<timestamp>/}.
 */
public final class ChaosRun {
  private static final Logger LOG = LoggerFactory.getLogger(ChaosRun.class);
  private static final int MAX_EVENTS = 2_000_000;
  private static final int OPS_PER_KEY = 200;

  /** What a run produced. */
  public record Summary(Path dir, CheckResult result, long operations, long okOperations, long unknownOperations,
      int faultsInjected, double opsPerSecond, String reportText) { }

  private ChaosRun() {
  }

  public static Summary run(RunOptions o) throws IOException, InterruptedException {
    List<Nemesis> nemeses = o.nemeses().stream().map(Nemesis::named).toList();
    String image = o.image() != null ? o.image() : NodeImage.build(NodeImage.projectRoot());
    Path dir = o.runsDir().resolve(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC)
        .format(Instant.now()) + "-" + o.seed());
    Files.createDirectories(dir);
    LOG.info("chaos run in {}: image {}, {} nodes, nemeses {}, {} ms, concurrency {}, faults {}", dir, image,
        o.nodes(), o.nemeses(), o.timeLimitMs(), o.concurrency(), o.testingFaults());
    Recorder rec = new Recorder(MAX_EVENTS);
    RegisterWorkload w = new RegisterWorkload(o.concurrency(), o.opTimeoutMs(), OPS_PER_KEY, MAX_EVENTS / 2 - 1);
    int faults;
    long runNanos;
    try (DockerCluster cluster = DockerCluster.start(image, o.nodes(), o.testingFaults(),
        Nemesis.memberTools(nemeses))) {
      long t0 = System.nanoTime();
      long deadline = t0 + o.timeLimitMs() * 1_000_000L;
      Schedule schedule = new Schedule(cluster, nemeses, rec, o.seed(), o.quietMs(), o.faultMs(), deadline);
      Thread nemesisThread = new Thread(schedule, "chaos-nemesis");
      nemesisThread.start();
      try {
        w.run(i -> cluster.nodes().get(i % cluster.nodes().size()), rec, o.seed(), deadline);
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
    History h = rec.history();
    h.save(dir.resolve("history.jsonl"));
    CheckResult result = RegisterChecker.standard().check(h);
    double opsPerSec = w.operations() / (runNanos / 1e9);
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("workload", "register");
    facts.put("nemeses", String.join(",", o.nemeses()));
    facts.put("nodes", Integer.toString(o.nodes()));
    facts.put("concurrency", Integer.toString(o.concurrency()));
    facts.put("time limit s", Long.toString(o.timeLimitMs() / 1000));
    facts.put("seed", Long.toString(o.seed()));
    if (!o.testingFaults().isEmpty()) {
      facts.put("unsafe testing faults", String.join(",", o.testingFaults()));
    }
    facts.put("operations", w.operations() + " (ok " + w.okOperations() + ", unknown " + w.unknownOperations() + ")");
    facts.put("ops/s", String.format("%.1f", opsPerSec));
    Report report = new Report("Keel chaos: register", h, result, facts);
    report.write(dir);
    LOG.info("chaos run done: {} — {} anomalies; report {}", result.verdict(), result.anomalies(),
        dir.resolve("report.txt"));
    return new Summary(dir, result, w.operations(), w.okOperations(), w.unknownOperations(), faults, opsPerSec,
        report.text());
  }
}
