package io.keel.chaos.workload.lease;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.keel.chaos.checker.FaultWindows;
import io.keel.chaos.checker.Findings;
import io.keel.chaos.checker.lease.LeaseChecker;
import io.keel.chaos.checker.lease.LeaseOp;
import io.keel.chaos.cluster.DockerCluster;
import io.keel.chaos.cluster.Node;
import io.keel.chaos.history.JsonLines;
import io.keel.chaos.history.Op;
import io.keel.chaos.report.Html;
import io.keel.chaos.workload.Clients;
import io.keel.chaos.workload.Outcomes;
import io.keel.chaos.workload.QueueObserver;
import io.keel.chaos.workload.RunOptions;
import io.keel.chaos.workload.Tally;
import io.keel.chaos.workload.Workload;
import io.keel.chaos.workload.WorkloadReport;
import io.keel.chaos.workload.watch.WatchLog;
import io.keel.chaos.workload.watch.WatcherClient;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.LeaseGrantRequest;
import io.keel.proto.etcdserverpb.LeaseGrantResponse;
import io.keel.proto.etcdserverpb.LeaseGrpc;
import io.keel.proto.etcdserverpb.LeaseKeepAliveRequest;
import io.keel.proto.etcdserverpb.LeaseKeepAliveResponse;
import io.keel.proto.etcdserverpb.LeaseRevokeRequest;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Leases under faults. Each client, bound to one member, repeatedly grants a lease (TTL {@value #TTL_SECONDS} s),
 * attaches two keys to it in one Txn, then either keeps it alive for 2–4 TTLs (a keep-alive every TTL/3 on a
 * LeaseKeepAlive stream, each followed by a linearizable read of its keys) and then revokes or abandons it, or
 * lets it expire at once; afterwards it reads the keys until they are gone (bounded). A watcher on the prefix
 * records every deletion. After the run, once every lease's deadline has passed, a final read must find no key.
 * Checked by {@link LeaseChecker}.
 */
public final class LeaseWorkload implements Workload {
  static final long TTL_SECONDS = 3;
  /** A leader change renews a lease's full TTL; plus the election timeout and a loaded machine. */
  static final long SLACK_MS = TTL_SECONDS * 1000 + 5_000;
  private static final int MAX_EVENTS = 1_000_000;
  private static final long POLL_MS = 500;
  private static final long FINAL_READ_MS = 60_000;

  private final int clients;
  private final long opTimeoutMs;
  private final String prefix;
  private final long seed;
  private final long startNanos;
  private final List<LeaseOp> events = new ArrayList<>();
  private final WatchLog watchLog;
  private WatcherClient watcher;
  private final Tally tally = new Tally();
  private volatile long lastActivity;
  private volatile double seconds = 1;

  public LeaseWorkload(RunOptions o, long startNanos) {
    this(3, o.opTimeoutMs(), "lease" + o.seed() + "/", o.seed(), startNanos);
  }

  LeaseWorkload(int clients, long opTimeoutMs, String prefix, long seed, long startNanos) {
    if (clients < 1 || clients > 64 || opTimeoutMs < 10) {
      throw new IllegalArgumentException("clients in [1, 64] and opTimeoutMs >= 10 required");
    }
    this.clients = clients;
    this.opTimeoutMs = opTimeoutMs;
    this.prefix = prefix;
    this.seed = seed;
    this.startNanos = startNanos;
    this.watchLog = new WatchLog(MAX_EVENTS, startNanos);
  }

  @Override
  public String name() {
    return "lease";
  }

  @Override
  public void run(DockerCluster cluster, long deadlineNanos) throws InterruptedException {
    long t0 = System.nanoTime();
    Node first = cluster.nodes().get(0);
    long rev = KVGrpc.newBlockingStub(first.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
        .range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(prefix)).setCountOnly(true).build())
        .getHeader().getRevision();
    watcher = new WatcherClient(0, first::channel, prefix, rev + 1, watchLog, 1_000);
    watcher.start();
    Clients.run(clients, "chaos-lease", c -> client(c, cluster.nodes().get(c % cluster.nodes().size()),
        deadlineNanos), (deadlineNanos - System.nanoTime()) / 1_000_000 + 60_000);
    seconds = (System.nanoTime() - t0) / 1e9;
  }

  private void client(int client, Node node, long deadlineNanos) {
    Random rnd = new Random(seed * 104_729 + client);
    int[] process = {client};
    KeepAliveStream ka = new KeepAliveStream();
    try {
      while (System.nanoTime() < deadlineNanos && tally.total() < MAX_EVENTS / 4) {
        long lease = grant(process, node);
        if (lease == 0) {
          Outcomes.sleepQuietly(200);
          continue;
        }
        String hex = Long.toHexString(lease);
        List<String> keys = List.of(prefix + hex + "/a", prefix + hex + "/b");
        call(process, node, LeaseOp.invoke(process[0], "attach", lease, 0, keys), ch -> {
          TxnRequest.Builder t = TxnRequest.newBuilder();
          for (String k : keys) {
            t.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8(k)).setValue(ByteString.copyFromUtf8(hex)).setLease(lease)));
          }
          KVGrpc.newBlockingStub(ch).withDeadlineAfter(opTimeoutMs, TimeUnit.MILLISECONDS).txn(t.build());
          return new long[] {lease, 0};
        }, false);
        boolean keep = rnd.nextInt(3) > 0;
        if (keep) {
          long until = Math.min(deadlineNanos,
              System.nanoTime() + (2 + rnd.nextInt(3)) * TTL_SECONDS * 1_000_000_000L);
          while (System.nanoTime() < until) {
            keepAlive(process, node, ka, lease);
            read(process, node, lease, keys);
            Outcomes.sleepQuietly(TTL_SECONDS * 1000 / 3);
          }
          if (rnd.nextBoolean()) {
            call(process, node, LeaseOp.invoke(process[0], "revoke", lease, 0, keys), ch -> {
              LeaseGrpc.newBlockingStub(ch).withDeadlineAfter(opTimeoutMs, TimeUnit.MILLISECONDS)
                  .leaseRevoke(LeaseRevokeRequest.newBuilder().setID(lease).build());
              return new long[] {lease, 0};
            }, false);
          }
        }
        long giveUp = System.nanoTime() + (2 * TTL_SECONDS * 1000 + SLACK_MS) * 1_000_000L;
        while (System.nanoTime() < giveUp && System.nanoTime() < deadlineNanos) {
          if (read(process, node, lease, keys) == 0) {
            break;
          }
          Outcomes.sleepQuietly(POLL_MS);
        }
      }
    } finally {
      ka.close();
    }
  }

  /** Grants a lease; its id, or 0 when the grant failed or is unknown. */
  private long grant(int[] process, Node node) {
    LeaseOp done = call(process, node, LeaseOp.invoke(process[0], "grant", 0, TTL_SECONDS, List.of()), ch -> {
      LeaseGrantResponse r = LeaseGrpc.newBlockingStub(ch).withDeadlineAfter(opTimeoutMs, TimeUnit.MILLISECONDS)
          .leaseGrant(LeaseGrantRequest.newBuilder().setTTL(TTL_SECONDS).build());
      if (!r.getError().isEmpty()) {
        throw new IllegalStateException("grant error: " + r.getError());
      }
      return new long[] {r.getID(), r.getTTL()};
    }, false);
    return done.type() == Op.Type.OK ? done.lease() : 0;
  }

  private void keepAlive(int[] process, Node node, KeepAliveStream ka, long lease) {
    call(process, node, LeaseOp.invoke(process[0], "keepalive", lease, 0, List.of()), ch -> {
      LeaseKeepAliveResponse r = ka.send(ch, lease, opTimeoutMs);
      return new long[] {lease, r.getTTL()};
    }, false);
  }

  /** Reads the lease's keys; the number present (-1 when the read failed). */
  private int read(int[] process, Node node, long lease, List<String> keys) {
    List<String> present = new ArrayList<>();
    LeaseOp done = call(process, node, LeaseOp.invoke(process[0], "read", lease, 0, keys), ch -> {
      String from = prefix + Long.toHexString(lease) + "/";
      var r = KVGrpc.newBlockingStub(ch).withDeadlineAfter(opTimeoutMs, TimeUnit.MILLISECONDS)
          .range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(from))
              .setRangeEnd(ByteString.copyFromUtf8(WatcherClient.prefixEnd(from))).setKeysOnly(true).build());
      r.getKvsList().forEach(kv -> present.add(kv.getKey().toString(StandardCharsets.UTF_8)));
      return new long[] {lease, 0};
    }, true, present);
    return done.type() == Op.Type.OK ? present.size() : -1;
  }

  /** One request. */
  @FunctionalInterface
  private interface Call {
    long[] apply(ManagedChannel ch);
  }

  private LeaseOp call(int[] process, Node node, LeaseOp inv, Call c, boolean readOnly) {
    return call(process, node, inv, c, readOnly, null);
  }

  /** Records the invocation, performs it, records and returns the completion; info retires the process. */
  private LeaseOp call(int[] process, Node node, LeaseOp inv, Call c, boolean readOnly, List<String> present) {
    record(inv);
    long liveness = node.liveness();
    LeaseOp done;
    try {
      long[] r = c.apply(node.channel());
      done = inv.complete(Op.Type.OK, r[0], r[1], present, null);
    } catch (StatusRuntimeException e) {
      done = inv.complete(Outcomes.classify(e, readOnly, node, liveness), inv.lease(), 0, null, Outcomes.why(e));
    } catch (RuntimeException e) {
      done = inv.complete(readOnly ? Op.Type.FAIL : Op.Type.INFO, inv.lease(), 0, null, e.toString());
    }
    record(done);
    process[0] = tally.settle(done.type(), process[0], clients, false);
    return done;
  }

  private synchronized void record(LeaseOp e) {
    long now = System.nanoTime();
    lastActivity = now;
    if (events.size() < 2 * MAX_EVENTS) {
      events.add(e.at(now - startNanos));
    }
  }

  /**
   * Waits until every lease's deadline has passed (TTL + slack after the last activity, and after now: finish
   * runs once every fault is healed, and a leader elected after the heal renews every lease's full TTL), lets
   * the watcher catch up, then reads every key left under the prefix (retried on every member, bounded).
   */
  @Override
  public void finish(DockerCluster cluster) throws InterruptedException {
    long waitNanos = Math.max(lastActivity, System.nanoTime()) + (TTL_SECONDS * 1000 + SLACK_MS) * 1_000_000L
        - System.nanoTime();
    if (waitNanos > 0) {
      Thread.sleep(waitNanos / 1_000_000 + 1);
    }
    long deadline = System.nanoTime() + FINAL_READ_MS * 1_000_000L;
    long finalRev = 0;
    for (int attempt = 0; System.nanoTime() < deadline; attempt++) {
      Node node = cluster.nodes().get(attempt % cluster.nodes().size());
      LeaseOp inv = LeaseOp.invoke(1_000_000, "final-read", 0, 0, List.of());
      record(inv);
      try {
        var r = KVGrpc.newBlockingStub(node.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
            .range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(prefix))
                .setRangeEnd(ByteString.copyFromUtf8(WatcherClient.prefixEnd(prefix))).setKeysOnly(true)
                .setLimit(10_000).build());
        List<String> present = r.getKvsList().stream().map(kv -> kv.getKey().toString(StandardCharsets.UTF_8))
            .toList();
        record(inv.complete(Op.Type.OK, 0, 0, present, null));
        finalRev = r.getHeader().getRevision();
        break;
      } catch (RuntimeException e) {
        record(inv.complete(Op.Type.FAIL, 0, 0, null, e.toString()));
        Thread.sleep(500);
      }
    }
    if (watcher != null) {
      watcher.awaitReached(finalRev, 30_000);
      watcher.stop(finalRev);
    }
  }

  @Override
  public WorkloadReport check(Path dir, List<Op> nemesisEvents) throws IOException {
    List<LeaseOp> h;
    synchronized (this) {
      h = List.copyOf(events);
    }
    var log = watchLog.entries();
    JsonLines.save(dir.resolve("history.jsonl"), h);
    JsonLines.save(dir.resolve("watch.jsonl"), log);
    Findings r = LeaseChecker.check(h, log, prefix, SLACK_MS, FaultWindows.of(nemesisEvents));
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("lease ops", tally.describe());
    facts.put("lease ops/s", String.format("%.1f", tally.total() / seconds));
    facts.put("TTL s", Long.toString(TTL_SECONDS));
    facts.put("slack ms", Long.toString(SLACK_MS));
    facts.putAll(r.facts());
    String text = r.describe();
    return new WorkloadReport(name(), r.verdict(), tally.total(), tally.ok(), tally.unknown(), r.checked(),
        r.anomalyCount(), r.elapsedMs(), facts, text, "<pre>" + Html.esc(text) + "</pre>");
  }

  /**
   * One client's LeaseKeepAlive stream: a request, then the next response (bounded wait). Reopened on the
   * member's current channel after an error or a timeout, so a late answer is never taken for a newer request.
   */
  private static final class KeepAliveStream {
    private ManagedChannel channel;
    private StreamObserver<LeaseKeepAliveRequest> requests;
    private QueueObserver<LeaseKeepAliveResponse> responses;

    LeaseKeepAliveResponse send(ManagedChannel ch, long lease, long timeoutMs) {
      if (requests == null || channel != ch) {
        open(ch);
      }
      requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(lease).build());
      Object o;
      try {
        o = responses.poll(timeoutMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
        throw new IllegalStateException("interrupted");
      }
      if (o instanceof LeaseKeepAliveResponse r && r.getID() == lease) {
        return r;
      }
      close();
      if (o instanceof StatusRuntimeException e) {
        throw e;
      }
      if (o instanceof Throwable t) {
        throw io.grpc.Status.fromThrowable(t).asRuntimeException();
      }
      throw io.grpc.Status.DEADLINE_EXCEEDED.withDescription(o == null ? "no keep-alive answer in " + timeoutMs
          + " ms" : "unexpected keep-alive answer " + o).asRuntimeException();
    }

    private void open(ManagedChannel ch) {
      close();
      responses = new QueueObserver<>(64);
      channel = ch;
      requests = LeaseGrpc.newStub(ch).leaseKeepAlive(responses);
    }

    void close() {
      if (requests != null) {
        try {
          requests.onCompleted();
        } catch (RuntimeException e) {
          // the stream is already broken
        }
      }
      requests = null;
      responses = null;
      channel = null;
    }
  }
}
