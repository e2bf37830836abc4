package io.keel.chaos.workload.set;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.keel.chaos.checker.SetChecker;
import io.keel.chaos.cluster.DockerCluster;
import io.keel.chaos.cluster.Node;
import io.keel.chaos.history.History;
import io.keel.chaos.history.Op;
import io.keel.chaos.history.Recorder;
import io.keel.chaos.report.Html;
import io.keel.chaos.workload.Clients;
import io.keel.chaos.workload.Outcomes;
import io.keel.chaos.workload.RunOptions;
import io.keel.chaos.workload.Tally;
import io.keel.chaos.workload.Workload;
import io.keel.chaos.workload.WorkloadReport;
import io.keel.proto.etcdserverpb.Compare;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A set of unique elements: each add of element v is one Txn that creates key {@code <prefix><v>} only if it
 * does not exist (compare create_revision = 0), never retried; after the faults heal a final linearizable read
 * (paged, at one revision) returns the set. Checked by {@link SetChecker}: every acknowledged add present, no
 * element that was never attempted, no element whose add certainly failed; unknown adds may be either.
 */
public final class SetWorkload implements Workload {
  private static final int MAX_EVENTS = 2_000_000;
  private static final int PAGE = 5_000;
  private static final int MAX_ELEMENTS = 900_000;
  private static final long FINAL_READ_MS = 60_000;
  /** Process id of the final read. */
  static final int READER = 1_000_000;

  private final int clients;
  private final long opTimeoutMs;
  private final String prefix;
  private final Recorder recorder;
  private final AtomicLong next = new AtomicLong();
  private final Tally tally = new Tally();
  private volatile double seconds = 1;

  public SetWorkload(RunOptions o, long startNanos) {
    this(Math.max(2, o.concurrency() / 3), o.opTimeoutMs(), "set" + o.seed() + "/", new Recorder(MAX_EVENTS,
        startNanos));
  }

  SetWorkload(int clients, long opTimeoutMs, String prefix, Recorder recorder) {
    if (clients < 1 || clients > 256 || opTimeoutMs < 10) {
      throw new IllegalArgumentException("clients in [1, 256] and opTimeoutMs >= 10 required");
    }
    this.clients = clients;
    this.opTimeoutMs = opTimeoutMs;
    this.prefix = prefix;
    this.recorder = recorder;
  }

  @Override
  public String name() {
    return "set";
  }

  @Override
  public void run(DockerCluster cluster, long deadlineNanos) throws InterruptedException {
    long t0 = System.nanoTime();
    Clients.run(clients, "chaos-set", c -> client(c, cluster.nodes().get(c % cluster.nodes().size()),
        deadlineNanos), (deadlineNanos - t0) / 1_000_000 + 2 * opTimeoutMs + 10_000);
    seconds = (System.nanoTime() - t0) / 1e9;
  }

  private void client(int client, Node node, long deadlineNanos) {
    int process = client;
    while (System.nanoTime() < deadlineNanos) {
      long v = next.getAndIncrement();
      if (v >= MAX_ELEMENTS) {
        return;
      }
      Op inv = Op.invoke(process, "add", "set", v, null);
      if (!recorder.invoke(inv)) {
        return;
      }
      long liveness = node.liveness();
      Op done;
      try {
        done = add(node.channel(), v) ? inv.complete(Op.Type.OK, v, null, null)
            : inv.complete(Op.Type.FAIL, v, null, "already present");
      } catch (StatusRuntimeException e) {
        done = inv.complete(Outcomes.classify(e, false, node, liveness), v, null, Outcomes.why(e));
      } catch (RuntimeException e) {
        done = inv.complete(Op.Type.INFO, v, null, e.toString());
      }
      recorder.complete(done);
      process = tally.settle(done.type(), process, clients, true);
    }
  }

  private boolean add(ManagedChannel ch, long v) {
    ByteString key = ByteString.copyFromUtf8(prefix + v);
    TxnRequest t = TxnRequest.newBuilder()
        .addCompare(Compare.newBuilder().setKey(key).setTarget(Compare.CompareTarget.CREATE)
            .setResult(Compare.CompareResult.EQUAL).setCreateRevision(0))
        .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(key)
            .setValue(ByteString.copyFromUtf8(Long.toString(v)))))
        .build();
    return KVGrpc.newBlockingStub(ch).withDeadlineAfter(opTimeoutMs, TimeUnit.MILLISECONDS).txn(t).getSucceeded();
  }

  /** The final read: retried on every member (a read changes nothing) until one answers, bounded. */
  @Override
  public void finish(DockerCluster cluster) throws InterruptedException {
    long deadline = System.nanoTime() + FINAL_READ_MS * 1_000_000L;
    int attempt = 0;
    while (System.nanoTime() < deadline) {
      Node node = cluster.nodes().get(attempt++ % cluster.nodes().size());
      Op inv = Op.invoke(READER, "read", "set", null, null);
      if (!recorder.invoke(inv)) {
        return;
      }
      try {
        recorder.complete(inv.complete(Op.Type.OK, null, readAll(node.channel()), null));
        return;
      } catch (RuntimeException e) {
        recorder.complete(inv.complete(Op.Type.FAIL, null, null, e.toString()));
        Thread.sleep(500);
      }
    }
  }

  /** Every element, read page by page at the first page's revision (one linearizable snapshot). */
  private List<Long> readAll(ManagedChannel ch) {
    List<Long> out = new ArrayList<>();
    ByteString end = ByteString.copyFromUtf8(prefix.substring(0, prefix.length() - 1) + "0"); // '/' + 1
    ByteString from = ByteString.copyFromUtf8(prefix);
    long rev = 0;
    while (true) {
      RangeResponse r = KVGrpc.newBlockingStub(ch).withDeadlineAfter(10 * opTimeoutMs, TimeUnit.MILLISECONDS)
          .range(RangeRequest.newBuilder().setKey(from).setRangeEnd(end).setRevision(rev).setLimit(PAGE).build());
      if (rev == 0) {
        rev = r.getHeader().getRevision();
      }
      for (var kv : r.getKvsList()) {
        out.add(Long.parseLong(kv.getValue().toString(StandardCharsets.UTF_8)));
        if (out.size() > MAX_ELEMENTS) {
          throw new IllegalStateException("the set has more than " + MAX_ELEMENTS + " elements");
        }
      }
      if (!r.getMore() || r.getKvsCount() == 0) {
        return out;
      }
      from = r.getKvs(r.getKvsCount() - 1).getKey().concat(ByteString.copyFrom(new byte[] {0}));
    }
  }

  @Override
  public WorkloadReport check(Path dir, List<Op> nemesisEvents) throws IOException {
    History h = recorder.history();
    h.save(dir.resolve("history.jsonl"));
    long t0 = System.nanoTime();
    SetChecker.Result r = SetChecker.check(h);
    long checkerMs = (System.nanoTime() - t0) / 1_000_000;
    long adds = h.operations().stream().filter(o -> o.invoke().f().equals("add")).count();
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("adds", tally.describe());
    facts.put("adds/s", String.format("%.1f", adds / seconds));
    facts.put("unknown adds present", Integer.toString(r.unknownPresent()));
    facts.put("result", r.reason());
    String text = r.reason() + "\n";
    return new WorkloadReport(name(), r.verdict(), adds, tally.ok(), tally.unknown(), adds, r.anomalies(), checkerMs,
        facts, text, "<pre>" + Html.esc(text) + "</pre>");
  }
}
