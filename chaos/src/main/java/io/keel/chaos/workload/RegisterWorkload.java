package io.keel.chaos.workload;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keel.chaos.checker.CheckResult;
import io.keel.chaos.checker.RegisterChecker;
import io.keel.chaos.cluster.DockerCluster;
import io.keel.chaos.cluster.Node;
import io.keel.chaos.history.History;
import io.keel.chaos.history.Op;
import io.keel.chaos.history.Recorder;
import io.keel.chaos.report.Report;
import io.keel.chaos.report.RunReport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-key registers under concurrent clients. Each client is bound to one member, picks read / write / cas at
 * random on one of a few active keys. Every write and cas writes a fresh value (so an unknown write can only
 * explain reads of its own value); a cas compares against the last value this client saw on the key. Clients never retry:
 * a write or cas whose answer is an error or a timeout is recorded as {@code info} (it may have happened) and
 * the client continues as a new process, as Jepsen does. A failed read is {@code fail} (reads change nothing).
 * Keys rotate every {@code opsPerKey * activeKeys} operations so each key's history stays small enough to
 * check exhaustively.
 */
public final class RegisterWorkload implements Workload {
  private static final Logger LOG = LoggerFactory.getLogger(RegisterWorkload.class);
  private static final int ACTIVE_KEYS = 5;
  private static final int MAX_EVENTS = 2_000_000;
  private static final int OPS_PER_KEY = 200;

  private final int concurrency;
  private final long opTimeoutMs;
  private final int opsPerKey;
  private final long maxOps;
  private final AtomicLong opCount = new AtomicLong();
  /** Every write and cas writes a value never written before, so an unknown write explains only reads of it. */
  private final AtomicLong nextValue = new AtomicLong();
  private final AtomicLong okCount = new AtomicLong();
  private final AtomicLong infoCount = new AtomicLong();
  private final Recorder recorder;
  private final long seed;
  private final Map<String, String> runFacts;

  /** The register workload of a run with options {@code o}, recording on the time base {@code startNanos}. */
  public RegisterWorkload(RunOptions o, long startNanos) {
    this(o.concurrency(), o.opTimeoutMs(), OPS_PER_KEY, MAX_EVENTS / 2 - 1, new Recorder(MAX_EVENTS, startNanos),
        o.seed());
  }

  public RegisterWorkload(int concurrency, long opTimeoutMs, int opsPerKey, long maxOps, Recorder recorder,
      long seed) {
    if (concurrency < 1 || concurrency > 256) {
      throw new IllegalArgumentException("concurrency must be in [1, 256], got " + concurrency);
    }
    if (opTimeoutMs < 10 || opsPerKey < 1 || maxOps < 1) {
      throw new IllegalArgumentException("opTimeoutMs >= 10, opsPerKey >= 1 and maxOps >= 1 are required");
    }
    this.concurrency = concurrency;
    this.opTimeoutMs = opTimeoutMs;
    this.opsPerKey = opsPerKey;
    this.maxOps = maxOps;
    this.recorder = recorder;
    this.seed = seed;
    this.runFacts = new LinkedHashMap<>();
  }

  @Override
  public String name() {
    return "register";
  }

  @Override
  public void run(DockerCluster cluster, long deadlineNanos) throws InterruptedException {
    long t0 = System.nanoTime();
    run(i -> cluster.nodes().get(i % cluster.nodes().size()), recorder, seed, deadlineNanos);
    runFacts.put("ops/s", String.format("%.1f", operations() / ((System.nanoTime() - t0) / 1e9)));
  }

  @Override
  public WorkloadReport check(Path dir, List<Op> nemesisEvents) throws IOException {
    History h = merge(recorder.history().events(), nemesisEvents);
    h.save(dir.resolve("history.jsonl"));
    CheckResult result = RegisterChecker.standard().check(h);
    Map<String, String> facts = new LinkedHashMap<>(runFacts);
    facts.put("operations", operations() + " (ok " + okOperations() + ", unknown " + unknownOperations() + ")");
    Report report = new Report("Keel chaos: register", h, result, facts);
    report.write(dir);
    return new WorkloadReport(name(), result.verdict(), operations(), okOperations(), unknownOperations(),
        result.operationsChecked(), result.anomalies(), result.elapsedMs(),
        Map.of("history", dir.resolve("history.jsonl").toString()), report.text(),
        "<pre>" + io.keel.chaos.report.Html.esc(report.text()) + "</pre>");
  }

  /** Client events with the nemesis events inserted by time (each list keeps its own order). */
  static History merge(List<Op> client, List<Op> nemesis) {
    List<Op> out = new ArrayList<>(client.size() + nemesis.size());
    int j = 0;
    for (Op e : client) {
      while (j < nemesis.size() && nemesis.get(j).timeNanos() <= e.timeNanos()) {
        out.add(nemesis.get(j++));
      }
      out.add(e);
    }
    out.addAll(nemesis.subList(j, nemesis.size()));
    return new History(out);
  }

  /**
   * Runs the clients until the deadline (or maxOps operations), recording into {@code recorder}.
   *
   * @param nodeFor the member client i talks to
   */
  public void run(IntFunction<Node> nodeFor, Recorder recorder, long seed, long deadlineNanos)
      throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      int client = i;
      Thread t = new Thread(() -> client(client, nodeFor.apply(client), recorder, new Random(seed * 1009 + client),
          deadlineNanos), "chaos-client-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      long waitMs = Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000) + 2 * opTimeoutMs + 5_000;
      t.join(waitMs);
      if (t.isAlive()) {
        throw new IllegalStateException(t.getName() + " did not stop within " + waitMs + " ms");
      }
    }
  }

  private void client(int client, Node node, Recorder rec, Random rnd, long deadlineNanos) {
    int process = client;
    java.util.Map<String, Long> lastSeen = new java.util.HashMap<>();
    while (System.nanoTime() < deadlineNanos) {
      if ((node.liveness() & 1) == 1) {
        // Its member is certainly down (killed, not yet restarted): wait rather than burn operations, which
        // would rotate the keys while a crash is healed and hide what the crash lost.
        Outcomes.sleepQuietly(50);
        continue;
      }
      long n = opCount.getAndIncrement();
      if (n >= maxOps) {
        return;
      }
      String key = "r" + (n / ((long) opsPerKey * ACTIVE_KEYS)) + "-" + rnd.nextInt(ACTIVE_KEYS);
      int kind = rnd.nextInt(3);
      Long known = lastSeen.get(key);
      if (kind == 2 && known == null) {
        kind = 0; // cas compares against a value this client saw; learn one first
      }
      Op inv = switch (kind) {
        case 0 -> Op.invoke(process, "read", key, null, null);
        case 1 -> Op.invoke(process, "write", key, nextValue.incrementAndGet(), null);
        default -> Op.invoke(process, "cas", key, nextValue.incrementAndGet(), known);
      };
      if (!rec.invoke(inv)) {
        LOG.warn("history is full; client {} stops", client);
        return;
      }
      long liveness = node.liveness();
      Op done;
      try {
        done = switch (kind) {
          case 0 -> inv.complete(Op.Type.OK, RegisterClient.read(node.channel(), key, opTimeoutMs), null, null);
          case 1 -> {
            RegisterClient.write(node.channel(), key, inv.value(), opTimeoutMs);
            yield inv.complete(Op.Type.OK, inv.value(), null, null);
          }
          default -> RegisterClient.cas(node.channel(), key, inv.expected(), inv.value(), opTimeoutMs)
              ? inv.complete(Op.Type.OK, inv.value(), null, null)
              : inv.complete(Op.Type.FAIL, null, null, "compare failed");
        };
      } catch (StatusRuntimeException e) {
        done = inv.complete(Outcomes.classify(e, kind == 0, node, liveness), null, null,
            Outcomes.why(e) + (Outcomes.memberDown(node, liveness) ? " (member down)" : ""));
      } catch (RuntimeException e) {
        done = kind == 0 ? inv.complete(Op.Type.FAIL, null, null, e.toString())
            : inv.complete(Op.Type.INFO, null, null, e.toString());
      }
      rec.complete(done);
      if (done.type() == Op.Type.OK && done.value() != null) {
        lastSeen.put(key, done.value());
      }
      if (lastSeen.size() > 4 * ACTIVE_KEYS) {
        lastSeen.clear(); // keys rotate; keep the map bounded
      }
      if (done.type() == Op.Type.OK) {
        okCount.incrementAndGet();
      } else if (done.type() == Op.Type.INFO) {
        infoCount.incrementAndGet();
        process += concurrency; // its operation may still take effect: never reuse the process
      }
      if (done.type() == Op.Type.INFO) {
        Outcomes.sleepQuietly(200); // back off: each unknown outcome widens the checker's search
      } else if (done.error() != null && done.error().startsWith(Status.Code.UNAVAILABLE.name())) {
        Outcomes.sleepQuietly(50); // do not spin against an unreachable member
      }
    }
  }

  public long operations() {
    return Math.min(opCount.get(), maxOps);
  }

  public long okOperations() {
    return okCount.get();
  }

  public long unknownOperations() {
    return infoCount.get();
  }
}
