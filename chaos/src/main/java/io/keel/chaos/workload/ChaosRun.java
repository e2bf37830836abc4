package io.keel.chaos.workload;

import io.keel.chaos.checker.Verdict;
import io.keel.chaos.cluster.DockerCluster;
import io.keel.chaos.cluster.NodeImage;
import io.keel.chaos.history.History;
import io.keel.chaos.history.Op;
import io.keel.chaos.history.Recorder;
import io.keel.chaos.nemesis.Nemesis;
import io.keel.chaos.nemesis.Schedule;
import io.keel.chaos.report.RunReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One chaos run end to end, for any set of {@link Workload}s at once: start the Docker cluster, run every
 * workload's clients and the nemesis schedule until the time limit, heal, let each workload finish (final
 * reads), then save the nemesis events (nemesis.jsonl) and each workload's histories, check them, and write the
 * combined report.txt / report.html (one section and verdict per workload) and the members' logs into
 * {@code <runsDir>/<timestamp>-<seed>-<workloads>/}. An aborted run leaves the logs, the nemesis events and
 * {@code aborted.txt} there.
 */
public final class ChaosRun {
  private static final Logger LOG = LoggerFactory.getLogger(ChaosRun.class);
  private static final int MAX_NEMESIS_EVENTS = 100_000;
  /** Bound on a workload's {@link Workload#finish} phase beyond its own bounds. */
  private static final long FINISH_JOIN_MS = 120_000;

  /** What a run produced; {@link #verdict} combines the workloads' verdicts. */
  public record Summary(Path dir, Verdict verdict, List<WorkloadReport> workloads, int faultsInjected,
      double seconds, String reportText) {
    /** 0 valid, 1 anomaly, 2 unknown. */
    public int exitCode() {
      return WorkloadReport.exitCode(verdict);
    }

    /** The section of one workload. */
    public WorkloadReport workload(String name) {
      return workloads.stream().filter(w -> w.workload().equals(name)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("no workload " + name + " in this run"));
    }
  }

  private ChaosRun() {
  }

  /** Runs the workloads named in {@code names} (see {@link Workloads}). */
  public static Summary run(RunOptions o, List<String> names) throws IOException, InterruptedException {
    long startNanos = System.nanoTime();
    List<Workload> ws = new ArrayList<>();
    for (String n : names) {
      ws.addAll(Workloads.create(n, o, startNanos));
    }
    return run(o, ws, startNanos, String.join("+", names));
  }

  /**
   * Runs {@code workloads} together.
   *
   * @param startNanos the time base of the workloads' recorders (the nemesis events use it too)
   */
  public static Summary run(RunOptions o, List<Workload> workloads, long startNanos, String label)
      throws IOException, InterruptedException {
    if (workloads.isEmpty()) {
      throw new IllegalArgumentException("no workload");
    }
    List<Nemesis> nemeses = o.nemeses().stream().map(Nemesis::named).toList();
    String image = o.image() != null ? o.image() : NodeImage.build(NodeImage.projectRoot());
    Path dir = o.runsDir().resolve(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC)
        .format(Instant.now()) + "-" + o.seed() + "-" + label);
    Files.createDirectories(dir);
    LOG.info("chaos run in {}: workloads {}, image {}, {} nodes, nemeses {}, {} ms, concurrency {}, faults {}", dir,
        label, image, o.nodes(), o.nemeses(), o.timeLimitMs(), o.concurrency(), o.testingFaults());
    Recorder nemesisRec = new Recorder(MAX_NEMESIS_EVENTS, startNanos);
    Ran ran;
    try (DockerCluster cluster = DockerCluster.start(image, o.nodes(), o.testingFaults(),
        Nemesis.memberTools(nemeses))) {
      try {
        ran = runOnCluster(o, workloads, nemeses, cluster, nemesisRec);
      } catch (InterruptedException | RuntimeException e) {
        saveAbortEvidence(dir, cluster, nemesisRec, e);
        throw e;
      }
      cluster.saveLogs(dir.resolve("logs"));
    }
    int faults = ran.faults();
    long runNanos = ran.runNanos();
    History nemesisHistory = nemesisRec.history();
    nemesisHistory.save(dir.resolve("nemesis.jsonl"));
    List<Op> nemesisEvents = nemesisHistory.events().stream().filter(Op::isNemesis).toList();
    List<WorkloadReport> sections = new ArrayList<>();
    Verdict verdict = Verdict.VALID;
    for (Workload w : workloads) {
      WorkloadReport r = w.check(dir.resolve(w.name()), nemesisEvents);
      sections.add(r);
      verdict = verdict.and(r.verdict());
      LOG.info("workload {}: {} — {} anomalies", w.name(), r.verdict(), r.anomalies());
    }
    double seconds = runNanos / 1e9;
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("workloads", label);
    facts.put("nemeses", o.nemeses().isEmpty() ? "none" : String.join(",", o.nemeses()));
    facts.put("nodes", Integer.toString(o.nodes()));
    facts.put("concurrency", Integer.toString(o.concurrency()));
    facts.put("time limit s", Long.toString(o.timeLimitMs() / 1000));
    facts.put("seed", Long.toString(o.seed()));
    if (!o.testingFaults().isEmpty()) {
      facts.put("unsafe testing faults", String.join(",", o.testingFaults()));
    }
    facts.put("faults injected", Integer.toString(faults));
    RunReport report = new RunReport("Keel chaos: " + label, verdict, facts, sections, nemesisEvents, seconds);
    report.write(dir);
    LOG.info("chaos run done: {}; report {}", verdict, dir.resolve("report.txt"));
    return new Summary(dir, verdict, List.copyOf(sections), faults, seconds, report.text());
  }

  private record Ran(long runNanos, int faults) {
  }

  /** The workloads' clients and the nemesis schedule until the deadline, then the workloads' final reads. */
  private static Ran runOnCluster(RunOptions o, List<Workload> workloads, List<Nemesis> nemeses,
      DockerCluster cluster, Recorder nemesisRec) throws InterruptedException {
    long t0 = System.nanoTime();
    long deadline = t0 + o.timeLimitMs() * 1_000_000L;
    Schedule schedule = new Schedule(cluster, nemeses, nemesisRec, o.seed(), o.quietMs(), o.faultMs(), deadline);
    Thread nemesisThread = new Thread(schedule, "chaos-nemesis");
    nemesisThread.start();
    try {
      runAll(workloads, w -> w.run(cluster, deadline), o.timeLimitMs() + 2 * o.opTimeoutMs() + 60_000);
    } finally {
      long healBoundMs = nemeses.stream().mapToLong(Nemesis::healBoundMs).max().orElse(0);
      nemesisThread.join(o.faultMs() + o.quietMs() + healBoundMs);
      if (nemesisThread.isAlive()) {
        nemesisThread.interrupt();
        nemesisThread.join(30_000);
      }
    }
    long runNanos = System.nanoTime() - t0;
    runAll(workloads, w -> w.finish(cluster), FINISH_JOIN_MS);
    return new Ran(runNanos, schedule.faultsInjected());
  }

  /**
   * A run that aborts (a workload failed, a member never came back) still leaves what explains it: the members'
   * logs (the cluster is still up here), the nemesis events so far and the failure in {@code aborted.txt}.
   */
  private static void saveAbortEvidence(Path dir, DockerCluster cluster, Recorder nemesisRec, Exception e) {
    LOG.warn("chaos run aborted: {}; saving members' logs and nemesis events in {}", e.toString(), dir);
    try {
      cluster.saveLogs(dir.resolve("logs"));
      nemesisRec.history().save(dir.resolve("nemesis.jsonl"));
      java.io.StringWriter trace = new java.io.StringWriter();
      e.printStackTrace(new java.io.PrintWriter(trace));
      Files.writeString(dir.resolve("aborted.txt"), "run aborted at " + Instant.now() + "\n" + trace);
    } catch (IOException | RuntimeException saveFailure) {
      e.addSuppressed(saveFailure);
    }
  }

  /** One step of every workload, each on its own thread; the first failure is rethrown after all stopped. */
  @FunctionalInterface
  private interface Step {
    void apply(Workload w) throws Exception;
  }

  private static void runAll(List<Workload> ws, Step step, long joinMs) throws InterruptedException {
    AtomicReference<Exception> failure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (Workload w : ws) {
      Thread t = new Thread(() -> {
        try {
          step.apply(w);
        } catch (Exception e) {
          LOG.warn("workload {} failed: {}", w.name(), e.toString());
          failure.compareAndSet(null, e);
        }
      }, "chaos-workload-" + w.name());
      t.start();
      threads.add(t);
    }
    long deadline = System.nanoTime() + joinMs * 1_000_000L;
    for (Thread t : threads) {
      t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      if (t.isAlive()) {
        t.interrupt();
        throw new IllegalStateException(t.getName() + " did not finish within " + joinMs + " ms");
      }
    }
    Exception e = failure.get();
    if (e instanceof InterruptedException ie) {
      throw ie;
    }
    if (e != null) {
      throw new IllegalStateException("a workload failed: " + e, e);
    }
  }
}
