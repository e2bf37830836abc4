package io.keel.chaos.checker.txn;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keel.chaos.checker.Verdict;
import io.keel.chaos.history.Op;
import io.keel.chaos.workload.listappend.ListAppendClient;
import io.keel.chaos.workload.listappend.ListAppendWorkload;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.RangeRequest;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The list-append client and workload against a real single-member etcd (the reference store) on loopback:
 * the recorded history checks VALID, with committed, conflicting and read-only txns all present; the same
 * workload committing without its compare (blind writes) is caught.
 */
class ListAppendEtcdIT {

  @Test
  void etcdHistoryIsStrictlySerializable(@TempDir Path dir) throws Exception {
    int client = freePort();
    int peer = freePort();
    String c = "http://127.0.0.1:" + client;
    String p = "http://127.0.0.1:" + peer;
    Path logFile = dir.resolve("etcd.log");
    Process etcd = new ProcessBuilder("etcd", "--name", "la", "--data-dir", dir.resolve("data").toString(),
        "--listen-client-urls", c, "--advertise-client-urls", c, "--listen-peer-urls", p,
        "--initial-advertise-peer-urls", p, "--initial-cluster", "la=" + p)
        .redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", client).usePlaintext().build();
    try {
      awaitReady(ch, etcd, logFile);
      TxnHistory h = ListAppendWorkload.run(List.of(ch),
          new ListAppendWorkload.Options(6, 80, 3, "la/", 40, 7, 5_000, 60_000, false));
      h.save(dir.resolve("history.jsonl"));
      TxnCheckResult res = ListAppendChecker.check(TxnHistory.load(dir.resolve("history.jsonl")));
      assertThat(res.verdict()).as(res.anomalies().toString()).isEqualTo(Verdict.VALID);
      List<Txn> txns = h.txns();
      assertThat(txns).hasSize(480);
      assertThat(txns).filteredOn(t -> t.outcome() == Op.Type.OK).hasSizeGreaterThan(100);
      assertThat(txns).filteredOn(t -> t.outcome() == Op.Type.FAIL).isNotEmpty();
      assertThat(res.txnsChecked()).isGreaterThan(100);
      // keys rotate: more than one generation was used, and the final lists hold exactly the acknowledged appends
      java.util.Set<String> keys = new java.util.TreeSet<>();
      txns.forEach(t -> t.ops().forEach(m -> keys.add(m.key())));
      assertThat(keys.size()).isGreaterThan(3);
      List<MicroOp> reads = keys.stream().map(MicroOp::read).toList();
      List<MicroOp> last = ListAppendClient.execute(ch, reads, 5_000);
      long acked = txns.stream().filter(t -> t.outcome() == Op.Type.OK)
          .mapToLong(t -> t.ops().stream().filter(MicroOp::isAppend).count()).sum();
      assertThat(last.stream().mapToLong(m -> m.read().size()).sum()).isEqualTo(acked);

      // negative control: the same workload committing blindly loses appends, and the checker says so
      TxnHistory broken = ListAppendWorkload.run(List.of(ch),
          new ListAppendWorkload.Options(6, 80, 2, "blind/", 40, 8, 5_000, 60_000, true));
      TxnCheckResult bad = ListAppendChecker.check(broken);
      assertThat(bad.verdict()).isEqualTo(Verdict.INVALID);
      assertThat(bad.types()).containsAnyOf("lost-append", "incompatible-order", "G-single-realtime", "G-single",
          "G2", "G2-realtime", "G1c", "G0", "G0-realtime", "G1c-realtime");
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      etcd.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static void awaitReady(ManagedChannel ch, Process etcd, Path logFile) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        KVGrpc.newBlockingStub(ch).withDeadlineAfter(1, TimeUnit.SECONDS)
            .range(RangeRequest.newBuilder().setKey(com.google.protobuf.ByteString.copyFromUtf8("x")).build());
        return;
      } catch (RuntimeException e) {
        if (!etcd.isAlive() || System.nanoTime() - deadline > 0) {
          throw new IllegalStateException("etcd did not start: " + Files.readString(logFile), e);
        }
        Thread.sleep(100);
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
