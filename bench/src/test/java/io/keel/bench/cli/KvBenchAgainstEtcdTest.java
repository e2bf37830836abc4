package io.keel.bench.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.keel.bench.cluster.EtcdCluster;
import io.keel.bench.load.EtcdConnections;
import io.keel.bench.load.Endpoints;
import io.keel.bench.report.BenchResult;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Short real runs of the KV benchmarks against a real etcd 3.4 started by the test. */
class KvBenchAgainstEtcdTest {

  @TempDir
  static Path dir;
  static EtcdCluster etcd;
  static String endpoint;

  @BeforeAll
  static void startEtcd() throws Exception {
    etcd = EtcdCluster.start(dir.resolve("etcd"), 1, EtcdCluster.DEFAULT_BINARY);
    endpoint = etcd.clientEndpoints().get(0);
  }

  @AfterAll
  static void stopEtcd() {
    if (etcd != null) {
      etcd.close();
    }
  }

  private static RangeResponse countAll() {
    ManagedChannel ch = EtcdConnections.channel(Endpoints.parseLoopback(endpoint).get(0));
    try {
      return KVGrpc.newBlockingStub(ch).range(RangeRequest.newBuilder()
          .setKey(ByteString.copyFrom(new byte[] {0})).setRangeEnd(ByteString.copyFrom(new byte[] {0}))
          .setCountOnly(true).build());
    } finally {
      ch.shutdownNow();
    }
  }

  private static <T extends LoadCommand> BenchResult run(T cmd, String... args) throws Exception {
    new CommandLine(cmd).parseArgs(args);
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    cmd.out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    BenchResult r = cmd.execute();
    String text = buf.toString(StandardCharsets.UTF_8);
    assertThat(text).contains("Summary:", "Requests/sec:", "Latency distribution:", "99.9% in");
    return r;
  }

  @Test
  void putWritesExactlyTotalKeysAndReportsEveryRequest() throws Exception {
    long before = countAll().getHeader().getRevision();
    Path json = dir.resolve("put.json");
    BenchResult r = run(new PutCommand(), "--endpoints", endpoint, "--clients", "4", "--conns", "2",
        "--total", "300", "--key-size", "8", "--val-size", "256", "--sequential-keys", "--key-space-size", "100000",
        "--max-seconds", "60", "--json", json.toString());
    assertThat(r.count()).isEqualTo(300);
    assertThat(r.errors()).isZero();
    assertThat(r.ratePerSecond()).isPositive();
    RangeResponse after = countAll();
    assertThat(after.getHeader().getRevision() - before).as("one revision per put").isEqualTo(300);
    assertThat(after.getCount()).isGreaterThanOrEqualTo(300);
    BenchResult fromFile = BenchResult.readJson(json);
    assertThat(fromFile.count()).isEqualTo(300);
    assertThat(fromFile.params()).containsEntry("clients", 4).containsEntry("val-size", 256);
  }

  @Test
  void rangeAndTxnPutRunBothConsistencies() throws Exception {
    for (String c : new String[] {"l", "s"}) {
      BenchResult r = run(new RangeCommand(), "--endpoints", endpoint, "--clients", "2", "--total", "100",
          "--consistency", c, "foo");
      assertThat(r.count()).isEqualTo(100);
      assertThat(r.errors()).isZero();
    }
    long before = countAll().getHeader().getRevision();
    BenchResult t = run(new TxnPutCommand(), "--endpoints", endpoint, "--clients", "2", "--total", "50",
        "--txn-ops", "4", "--sequential-keys", "--key-space-size", "1000000");
    assertThat(t.count()).isEqualTo(50);
    assertThat(countAll().getHeader().getRevision() - before).as("one revision per txn").isEqualTo(50);
  }

  @Test
  void leaseKeepaliveCountsEveryRoundTrip() throws Exception {
    BenchResult r = run(new LeaseKeepaliveCommand(), "--endpoints", endpoint, "--clients", "3", "--total", "150");
    assertThat(r.count()).isEqualTo(150);
    assertThat(r.errors()).isZero();
  }

  @Test
  void everyWatcherReceivesEveryPut() throws Exception {
    WatchLatencyCommand wl = new WatchLatencyCommand();
    new CommandLine(wl).parseArgs("--endpoints", endpoint, "--total", "40", "--put-rate", "200", "--streams", "2",
        "--watchers-per-stream", "3");
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    wl.out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    var results = wl.execute();
    assertThat(results.get("put").count()).isEqualTo(40);
    assertThat(results.get("delivery").count()).as("40 puts x 6 watchers").isEqualTo(240);
    assertThat(results.get("delivery").errors()).isZero();
    assertThat(buf.toString(StandardCharsets.UTF_8)).contains("Watch events: 240 received of 240 expected");

    WatchCommand w = new WatchCommand();
    new CommandLine(w).parseArgs("--endpoints", endpoint, "--put-total", "30", "--streams", "2",
        "--watch-per-stream", "5", "--watched-key-total", "4", "--clients", "2");
    w.out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    results = w.execute();
    assertThat(results.get("creation").count()).isEqualTo(10);
    // 10 watchers over 4 keys (3,3,2,2); 30 puts round-robin (8,8,7,7): 24+24+14+14 events
    assertThat(results.get("delivery").count()).isEqualTo(76);
    assertThat(results.get("delivery").errors()).isZero();
  }

  @Test
  void badInputGivesAClearErrorAndExitCode() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int code = new CommandLine(new BenchCommand()).execute("kv", "put", "--endpoints", "10.0.0.1:2379");
      assertThat(code).isEqualTo(2);
      assertThat(err.toString(StandardCharsets.UTF_8)).contains("not loopback");
      code = new CommandLine(new BenchCommand()).execute("kv", "range", "--endpoints", endpoint,
          "--consistency", "x", "foo");
      assertThat(code).isEqualTo(2);
      assertThat(err.toString(StandardCharsets.UTF_8)).contains("--consistency must be l or s");
    } finally {
      System.setErr(old);
    }
  }

  @Test
  void etcdClusterKeepsItsDataInItsOwnDirectory() {
    assertThat(Files.isDirectory(dir.resolve("etcd").resolve("etcd0.data"))).isTrue();
    assertThat(etcd.commands().get(0)).contains("--data-dir", "--initial-cluster");
  }
}
