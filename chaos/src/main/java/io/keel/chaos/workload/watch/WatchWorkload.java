package io.keel.chaos.workload.watch;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.keel.chaos.checker.Findings;
import io.keel.chaos.checker.watch.WatchChecker;
import io.keel.chaos.checker.watch.WatchWrite;
import io.keel.chaos.cluster.DockerCluster;
import io.keel.chaos.cluster.Node;
import io.keel.chaos.history.JsonLines;
import io.keel.chaos.history.Op;
import io.keel.chaos.report.Html;
import io.keel.chaos.workload.Clients;
import io.keel.chaos.workload.Outcomes;
import io.keel.chaos.workload.RunOptions;
import io.keel.chaos.workload.Tally;
import io.keel.chaos.workload.Workload;
import io.keel.chaos.workload.WorkloadReport;
import io.keel.proto.etcdserverpb.CompactionRequest;
import io.keel.proto.etcdserverpb.DeleteRangeRequest;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.proto.etcdserverpb.TxnResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watch under faults: one {@link WatcherClient} per member watches the prefix from the run's first revision,
 * reconnecting and resuming as a real client does, while writers put (single keys, and txns of several keys in
 * one revision) and delete keys under the prefix, and compact now and then so lagging watchers meet compaction.
 * After the faults heal every watcher must catch up to the store's final revision. Checked by
 * {@link WatchChecker}: ordered, unique, atomic, no gaps against the writers' acknowledged revisions, all
 * watchers agree, compaction cancels with compact_revision and skips nothing silently.
 */
public final class WatchWorkload implements Workload {
  private static final Logger LOG = LoggerFactory.getLogger(WatchWorkload.class);
  private static final int KEYS = 32;
  private static final int MAX_WRITES = 1_000_000;
  private static final int MAX_LOG = 2_000_000;
  private static final long COMPACT_EVERY_MS = 20_000;
  private static final long COMPACT_KEEP_REVISIONS = 300;
  private static final long CATCH_UP_MS = 90_000;
  private static final long PROGRESS_EVERY_MS = 1_000;

  private final int writers;
  private final long opTimeoutMs;
  private final String prefix;
  private final long seed;
  private final long startNanos;
  private final WatchLog log;
  private final List<WatchWrite> writes = new ArrayList<>();
  private final List<WatcherClient> watchers = new ArrayList<>();
  private final AtomicLong nextValue = new AtomicLong();
  private final Tally tally = new Tally();
  private final AtomicLong compactions = new AtomicLong();
  private volatile long maxAckedRevision;
  private volatile long finalRevision;
  private volatile double seconds = 1;

  public WatchWorkload(RunOptions o, long startNanos) {
    this(2, o.opTimeoutMs(), "watch" + o.seed() + "/", o.seed(), startNanos);
  }

  WatchWorkload(int writers, long opTimeoutMs, String prefix, long seed, long startNanos) {
    if (writers < 1 || writers > 64 || opTimeoutMs < 10) {
      throw new IllegalArgumentException("writers in [1, 64] and opTimeoutMs >= 10 required");
    }
    this.writers = writers;
    this.opTimeoutMs = opTimeoutMs;
    this.prefix = prefix;
    this.seed = seed;
    this.startNanos = startNanos;
    this.log = new WatchLog(MAX_LOG, startNanos);
  }

  @Override
  public String name() {
    return "watch";
  }

  @Override
  public void run(DockerCluster cluster, long deadlineNanos) throws InterruptedException {
    long t0 = System.nanoTime();
    long startRev = currentRevision(cluster, deadlineNanos) + 1;
    List<Node> nodes = cluster.nodes();
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      WatcherClient w = new WatcherClient(i, n::channel, prefix, startRev, log, PROGRESS_EVERY_MS);
      watchers.add(w);
      w.start();
    }
    Clients.run(writers, "chaos-watch-writer", c -> writer(c, nodes.get(c % nodes.size()), deadlineNanos),
        (deadlineNanos - System.nanoTime()) / 1_000_000 + 2 * opTimeoutMs + 10_000);
    seconds = (System.nanoTime() - t0) / 1e9;
  }

  /** The store's revision, asked of any member (bounded by the deadline). */
  private long currentRevision(DockerCluster cluster, long deadlineNanos) throws InterruptedException {
    RuntimeException last = null;
    for (int attempt = 0; System.nanoTime() < deadlineNanos + 60_000_000_000L; attempt++) {
      Node n = cluster.nodes().get(attempt % cluster.nodes().size());
      try {
        return KVGrpc.newBlockingStub(n.channel()).withDeadlineAfter(2_000, TimeUnit.MILLISECONDS)
            .range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(prefix)).setCountOnly(true).build())
            .getHeader().getRevision();
      } catch (RuntimeException e) {
        last = e;
        Thread.sleep(300);
      }
    }
    throw new IllegalStateException("no member answered a range", last);
  }

  private void writer(int client, Node node, long deadlineNanos) {
    Random rnd = new Random(seed * 7919 + client);
    int process = client;
    long nextCompact = System.nanoTime() + COMPACT_EVERY_MS * 1_000_000L;
    while (System.nanoTime() < deadlineNanos && nextValue.get() < MAX_WRITES) {
      if (client == 0 && System.nanoTime() > nextCompact) {
        nextCompact = System.nanoTime() + COMPACT_EVERY_MS * 1_000_000L;
        compact(node);
      }
      int kind = rnd.nextInt(20);
      long v = nextValue.getAndIncrement();
      String k1 = prefix + "k" + rnd.nextInt(KEYS);
      WatchWrite inv;
      if (kind < 3) {
        inv = WatchWrite.invoke(process, "delete", List.of(k1), v);
      } else if (kind < 6) {
        String k2 = prefix + "k" + rnd.nextInt(KEYS);
        inv = WatchWrite.invoke(process, "txn", k2.equals(k1) ? List.of(k1) : List.of(k1, k2), v);
      } else {
        inv = WatchWrite.invoke(process, "put", List.of(k1), v);
      }
      record(inv);
      long liveness = node.liveness();
      WatchWrite done;
      try {
        done = inv.complete(Op.Type.OK, write(node.channel(), inv), null);
      } catch (StatusRuntimeException e) {
        done = inv.complete(Outcomes.classify(e, false, node, liveness), 0, Outcomes.why(e));
      } catch (RuntimeException e) {
        done = inv.complete(Op.Type.INFO, 0, e.toString());
      }
      record(done);
      if (done.type() == Op.Type.OK) {
        synchronized (this) {
          maxAckedRevision = Math.max(maxAckedRevision, done.revision());
        }
      }
      process = tally.settle(done.type(), process, writers, true);
    }
  }

  /** Performs a write; returns the revision it made (0 for a delete of nothing). */
  private long write(ManagedChannel ch, WatchWrite w) {
    KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(ch).withDeadlineAfter(opTimeoutMs, TimeUnit.MILLISECONDS);
    ByteString value = ByteString.copyFromUtf8(Long.toString(w.value()));
    switch (w.f()) {
      case "delete" -> {
        var r = kv.deleteRange(DeleteRangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(w.keys().get(0)))
            .build());
        return r.getDeleted() > 0 ? r.getHeader().getRevision() : 0;
      }
      case "put" -> {
        return kv.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(w.keys().get(0))).setValue(value)
            .build()).getHeader().getRevision();
      }
      default -> {
        TxnRequest.Builder t = TxnRequest.newBuilder();
        for (String k : w.keys()) {
          t.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder()
              .setKey(ByteString.copyFromUtf8(k)).setValue(value)));
        }
        TxnResponse r = kv.txn(t.build());
        return r.getHeader().getRevision();
      }
    }
  }

  private void compact(Node node) {
    long rev = maxAckedRevision - COMPACT_KEEP_REVISIONS;
    if (rev < 2) {
      return;
    }
    try {
      KVGrpc.newBlockingStub(node.channel()).withDeadlineAfter(opTimeoutMs, TimeUnit.MILLISECONDS)
          .compact(CompactionRequest.newBuilder().setRevision(rev).build());
      compactions.incrementAndGet();
      LOG.info("watch workload: compacted at {}", rev);
    } catch (RuntimeException e) {
      LOG.info("watch workload: compaction at {} failed: {}", rev, e.toString());
    }
  }

  private synchronized void record(WatchWrite w) {
    if (writes.size() < 2 * MAX_WRITES + 2) {
      writes.add(w.at(System.nanoTime() - startNanos));
    }
  }

  /**
   * Reads the final revision (after the heal), then lets every watcher catch up to it: a watcher that has not
   * after half the time is made to reconnect once (a stream may hang on a connection a fault broke).
   */
  @Override
  public void finish(DockerCluster cluster) throws InterruptedException {
    finalRevision = currentRevision(cluster, System.nanoTime());
    for (WatcherClient w : watchers) {
      if (!w.awaitReached(finalRevision, CATCH_UP_MS / 2)) {
        LOG.warn("watch workload: a watcher reached only {} of {}; reconnecting it", w.reached(), finalRevision);
        w.reconnect();
        w.awaitReached(finalRevision, CATCH_UP_MS / 2);
      }
    }
    for (WatcherClient w : watchers) {
      w.stop(finalRevision);
    }
  }

  @Override
  public WorkloadReport check(Path dir, List<Op> nemesisEvents) throws IOException {
    List<WatchWrite> ws;
    synchronized (this) {
      ws = List.copyOf(writes);
    }
    var entries = log.entries();
    JsonLines.save(dir.resolve("writes.jsonl"), ws);
    JsonLines.save(dir.resolve("watch.jsonl"), entries);
    Findings r = WatchChecker.check(ws, entries, log.overflowed());
    long total = tally.total();
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("writes", tally.describe());
    facts.put("writes/s", String.format("%.1f", total / seconds));
    facts.put("watchers", Integer.toString(watchers.size()));
    facts.put("final revision", Long.toString(finalRevision));
    facts.put("compactions", Long.toString(compactions.get()));
    r.facts().forEach(facts::put);
    String text = r.describe();
    return new WorkloadReport(name(), r.verdict(), total, tally.ok(), tally.unknown(), r.checked(), r.anomalyCount(),
        r.elapsedMs(), facts, text, "<pre>" + Html.esc(text) + "</pre>");
  }
}
