package io.keel.server.informer;

import io.keel.server.it.TcpProxy;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keel.proto.etcdserverpb.CompactionRequest;
import io.keel.proto.etcdserverpb.DeleteRangeRequest;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.server.KeelServer;
import io.keel.server.ServerConfig;
import io.keel.watch.informer.EventHandler;
import io.keel.watch.informer.Informer;
import io.keel.watch.informer.InformerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watch module's informer against a real in-JVM Keel member (the same scenarios as against etcd):
 * list+watch in order, resume after a broken stream and after a restart of the member without gaps or
 * duplicates, relist after compaction with the difference as callbacks.
 */
class KeelInformerTest {
  private static final long WAIT_MS = 30_000;

  @TempDir Path dir;
  private ServerConfig config;
  private KeelServer server;
  private int port;
  private ManagedChannel direct;
  private KVGrpc.KVBlockingStub kv;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  private static int freePort() throws IOException {
    return io.keel.server.TestPorts.free();
  }

  @BeforeEach
  void start() throws Exception {
    port = freePort();
    int metricsPort = freePort();
    config = new ServerConfig("m1", dir, ServerConfig.parseUrls("c", "http://127.0.0.1:" + port),
        ServerConfig.parseUrls("a", "http://127.0.0.1:" + port), List.of(),
        ServerConfig.parseUrls("p", "http://127.0.0.1:1"), ServerConfig.parseInitialCluster("m1=http://127.0.0.1:1"),
        "new", "t", 4096, 0, ServerConfig.parseUrls("m", "http://127.0.0.1:" + metricsPort), 4, 64, 50, 500,
        ServerConfig.DEFAULT_SNAPSHOT_COUNT, Set.of());
    startServer();
    direct = channel(port);
    kv = KVGrpc.newBlockingStub(direct);
  }

  private void startServer() throws Exception {
    server = KeelServer.start(config);
    assertThat(server.awaitReady(15_000)).as("single member ready").isTrue();
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    if (server != null) {
      server.close();
    }
  }

  private ManagedChannel channel(int p) {
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", p).usePlaintext().build();
    toClose.add(ch::shutdownNow);
    return ch;
  }

  private KVGrpc.KVBlockingStub kv() {
    return kv.withWaitForReady().withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private long put(String k, String v) {
    return kv().put(PutRequest.newBuilder().setKey(b(k)).setValue(b(v)).build()).getHeader().getRevision();
  }

  private void delete(String k) {
    kv().deleteRange(DeleteRangeRequest.newBuilder().setKey(b(k)).build());
  }

  private long revision() {
    return kv().range(RangeRequest.newBuilder().setKey(b("\0")).setCountOnly(true).build()).getHeader().getRevision();
  }

  private Map<String, String> list(String prefix) {
    Map<String, String> out = new TreeMap<>();
    kv().range(RangeRequest.newBuilder().setKey(b(prefix)).setRangeEnd(b(prefix.substring(0, prefix.length() - 1)
        + (char) (prefix.charAt(prefix.length() - 1) + 1))).build()).getKvsList()
        .forEach(x -> out.put(x.getKey().toStringUtf8(), x.getValue().toStringUtf8()));
    return out;
  }

  private static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  /** Records calls as "add k v", "update k old>new", "delete k last". */
  private static final class Recorder implements EventHandler<String> {
    private final List<String> calls = new ArrayList<>();

    @Override
    public synchronized void onAdd(String key, String o) {
      calls.add("add " + key + " " + o);
      notifyAll();
    }

    @Override
    public synchronized void onUpdate(String key, String o, String n) {
      calls.add("update " + key + " " + o + ">" + n);
      notifyAll();
    }

    @Override
    public synchronized void onDelete(String key, String o) {
      calls.add("delete " + key + " " + o);
      notifyAll();
    }

    synchronized List<String> await(int n) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
      while (calls.size() < n) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          throw new AssertionError("only " + calls.size() + " of " + n + " calls: " + calls);
        }
        wait(left);
      }
      return new ArrayList<>(calls);
    }

    synchronized int size() {
      return calls.size();
    }
  }

  private Informer<String> informer(ManagedChannel ch, String prefix, Recorder r) {
    Informer<String> inf = new Informer<>(InformerConfig.builder(ch, prefix, (k, v) -> v.toStringUtf8())
        .name(prefix).pageSize(3).backoffMs(50, 500).registry(registry).build()).addHandler(r).start();
    toClose.add(inf);
    return inf;
  }

  private double count(String meter, String name) {
    return registry.get(meter).tag("name", name).counter().count();
  }

  private static Map<String, String> cacheOf(Informer<String> inf) {
    Map<String, String> m = new TreeMap<>();
    inf.cache().entries().forEach(e -> m.put(e.key(), e.object()));
    return m;
  }

  @Test
  void listsThenWatchesInRevisionOrder() throws Exception {
    String p = "/list/";
    for (int i = 0; i < 7; i++) {
      put(p + "k" + i, "v" + i);
    }
    put("/listx", "outside");
    Recorder r = new Recorder();
    Informer<String> inf = informer(direct, p, r);
    assertThat(inf.awaitSynced(WAIT_MS)).isTrue();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      expected.add("add " + p + "k" + i + " v" + i);
    }
    assertThat(r.await(7)).isEqualTo(expected);
    put(p + "k1", "w1");
    delete(p + "k2");
    long txnRev = kv().txn(TxnRequest.newBuilder()
        .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(b(p + "k3")).setValue(b("w3"))))
        .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(b(p + "new")).setValue(b("n"))))
        .build()).getHeader().getRevision();
    expected.addAll(List.of("update " + p + "k1 v1>w1", "delete " + p + "k2 v2", "update " + p + "k3 v3>w3",
        "add " + p + "new n"));
    assertThat(r.await(11)).isEqualTo(expected);
    assertThat(inf.cache().entry(p + "new").modRevision()).isEqualTo(txnRev);
    assertThat(cacheOf(inf)).isEqualTo(list(p));
  }

  @Test
  void resumesAfterTheStreamBreaksWithoutRelisting() throws Exception {
    String p = "/resume/";
    try (TcpProxy proxy = new TcpProxy("informer", port)) {
      Recorder r = new Recorder();
      Informer<String> inf = informer(channel(proxy.port()), p, r);
      assertThat(inf.awaitSynced(WAIT_MS)).isTrue();
      put(p + "a", "1");
      r.await(1);
      proxy.cut();
      put(p + "a", "2");
      put(p + "b", "1");
      delete(p + "a");
      put(p + "a", "3");
      Thread.sleep(300);
      proxy.heal();
      put(p + "c", "1");
      assertThat(r.await(6)).containsExactly("add " + p + "a 1", "update " + p + "a 1>2", "add " + p + "b 1",
          "delete " + p + "a 2", "add " + p + "a 3", "add " + p + "c 1");
      assertThat(count("keel.informer.reconnects", p)).isGreaterThanOrEqualTo(1.0);
      assertThat(count("keel.informer.relists", p)).isZero();
      Thread.sleep(200);
      assertThat(r.size()).isEqualTo(6);
    }
  }

  @Test
  void relistsAfterCompactionAndEmitsTheDifference() throws Exception {
    String p = "/compact/";
    for (String k : List.of("a", "b", "c", "d")) {
      put(p + k, "1");
    }
    try (TcpProxy proxy = new TcpProxy("informer", port)) {
      Recorder r = new Recorder();
      Informer<String> inf = informer(channel(proxy.port()), p, r);
      assertThat(inf.awaitSynced(WAIT_MS)).isTrue();
      put(p + "s", "1");
      r.await(5);
      proxy.cut();
      delete(p + "a");
      put(p + "b", "2");
      put(p + "e", "1");
      put(p + "f", "1");
      delete(p + "f");
      kv().compact(CompactionRequest.newBuilder().setRevision(revision()).setPhysical(true).build());
      proxy.heal();
      List<String> calls = r.await(8);
      assertThat(calls.subList(5, 8)).containsExactly("delete " + p + "a 1", "update " + p + "b 1>2",
          "add " + p + "e 1");
      Thread.sleep(300);
      assertThat(count("keel.informer.relists", p)).as("calls %s", r.await(8)).isEqualTo(1.0);
      assertThat(cacheOf(inf)).isEqualTo(list(p));
    }
  }

  @Test
  void resumesWithoutGapsOrDuplicatesAfterTheMemberRestarts() throws Exception {
    String p = "/restart/";
    Recorder r = new Recorder();
    Informer<String> inf = informer(direct, p, r);
    assertThat(inf.awaitSynced(WAIT_MS)).isTrue();
    for (int i = 0; i < 5; i++) {
      put(p + "k", Integer.toString(i));
    }
    r.await(5);
    server.close();
    startServer();
    for (int i = 5; i < 10; i++) {
      put(p + "k", Integer.toString(i));
    }
    List<String> expected = new ArrayList<>();
    expected.add("add " + p + "k 0");
    for (int i = 1; i < 10; i++) {
      expected.add("update " + p + "k " + (i - 1) + ">" + i);
    }
    assertThat(r.await(10)).isEqualTo(expected);
    assertThat(count("keel.informer.reconnects", p)).isGreaterThanOrEqualTo(1.0);
    assertThat(cacheOf(inf)).isEqualTo(list(p));
  }
}
