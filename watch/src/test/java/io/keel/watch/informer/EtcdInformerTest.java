package io.keel.watch.informer;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The informer against a real etcd 3.4: list+watch, handler order, resume after a broken stream and
 * after an etcd restart (no gaps, no duplicates), relist after compaction, resync, bad values.
 */
class EtcdInformerTest {
  private static final long WAIT_MS = 30_000;
  private static EtcdFixture etcd;
  private static ManagedChannel direct;
  private static EtcdClient client;

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdFixture.started();
    direct = etcd.channel();
    client = new EtcdClient(direct);
  }

  @AfterAll
  static void stopEtcd() {
    if (direct != null) {
      direct.shutdownNow();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private Informer<String> informer(ManagedChannel ch, String prefix, RecordingHandler h,
      java.util.function.Consumer<InformerConfig.Builder<String>> tweak) {
    InformerConfig.Builder<String> b = InformerConfig.builder(ch, prefix, (k, v) -> v.toStringUtf8())
        .name(prefix).pageSize(3).backoffMs(50, 500).registry(registry);
    tweak.accept(b);
    Informer<String> inf = new Informer<>(b.build()).addHandler(h).start();
    toClose.add(inf);
    return inf;
  }

  private ManagedChannel channel(int port) {
    ManagedChannel ch = EtcdFixture.channel(port);
    toClose.add(ch::shutdownNow);
    return ch;
  }

  private double count(String meter, String prefix) {
    return registry.get(meter).tag("name", prefix).counter().count();
  }

  private static Map<String, String> cacheMap(Informer<String> inf) {
    Map<String, String> m = new TreeMap<>();
    inf.cache().entries().forEach(e -> m.put(e.key(), e.object()));
    return m;
  }

  @Test
  void listsPagesAtOneRevisionThenWatchesInOrder() throws Exception {
    String p = "/list/";
    for (int i = 0; i < 7; i++) {
      client.put(p + "k" + i, "v" + i);
    }
    client.put("/list", "outside");
    client.put("/listx/a", "outside");
    RecordingHandler h = new RecordingHandler();
    Informer<String> inf = informer(direct, p, h, b -> b.index("value", v -> List.of(v.substring(0, 1))));
    assertThat(inf.awaitSynced(WAIT_MS)).isTrue();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      expected.add("add " + p + "k" + i + " v" + i);
    }
    assertThat(h.awaitChanges(7, WAIT_MS)).isEqualTo(expected);
    long listRev = inf.lastSyncRevision();
    assertThat(listRev).isGreaterThanOrEqualTo(client.revision() - 0);

    client.put(p + "k1", "w1");
    client.delete(p + "k2");
    Map<String, String> txn = new LinkedHashMap<>();
    txn.put(p + "k3", "w3");
    txn.put(p + "new", "n");
    long txnRev = client.putAll(txn);
    client.put("/listx/b", "outside");
    expected.add("update " + p + "k1 v1>w1");
    expected.add("delete " + p + "k2 v2");
    expected.add("update " + p + "k3 v3>w3");
    expected.add("add " + p + "new n");
    assertThat(h.awaitChanges(11, WAIT_MS)).isEqualTo(expected);
    assertThat(inf.lastSyncRevision()).isGreaterThanOrEqualTo(txnRev);
    assertThat(cacheMap(inf)).isEqualTo(client.list(p));
    assertThat(inf.cache().byIndex("value", "w")).containsExactly("w1", "w3");
    assertThat(inf.cache().entry(p + "k3").modRevision()).isEqualTo(txnRev);
    assertThat(h.distinctThreads()).as("all callbacks on the informer's one thread").isEqualTo(1);
    assertThat(registry.get("keel.informer.cache.size").tag("name", p).gauge().value()).isEqualTo(7.0);
  }

  @Test
  void concurrentWritersAreSeenInRevisionOrderWithoutGaps() throws Exception {
    String p = "/conc/";
    RecordingHandler h = new RecordingHandler();
    // Written by the informer's handler thread, read here: the recorder runs after h, so it may still be
    // adding the last revision when h has seen every change.
    List<Long> revs = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.atomic.AtomicReference<Informer<String>> holder = new java.util.concurrent.atomic.AtomicReference<>();
    EventHandler<String> revRecorder = new EventHandler<>() {
      @Override
      public void onAdd(String key, String object) {
        revs.add(holder.get().cache().entry(key).modRevision());
      }

      @Override
      public void onUpdate(String key, String oldObject, String newObject) {
        revs.add(holder.get().cache().entry(key).modRevision());
      }
    };
    InformerConfig<String> cfg = InformerConfig.builder((io.grpc.Channel) direct, p, (k, v) -> v.toStringUtf8())
        .name(p).registry(registry).watchBufferResponses(4).build();
    Informer<String> inf = new Informer<>(cfg).addHandler(h).addHandler(revRecorder);
    holder.set(inf);
    toClose.add(inf);
    inf.start();
    assertThat(inf.awaitSynced(WAIT_MS)).isTrue();
    int writers = 3;
    int perWriter = 60;
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int id = w;
      threads.add(new Thread(() -> {
        for (int i = 0; i < perWriter; i++) {
          client.put(p + "w" + id, Integer.toString(i));
        }
      }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join(WAIT_MS);
    }
    List<String> calls = h.awaitChanges(writers * perWriter, WAIT_MS);
    assertThat(calls).hasSize(writers * perWriter);
    for (int w = 0; w < writers; w++) {
      String key = p + "w" + w;
      List<String> mine = calls.stream().filter(c -> c.contains(" " + key + " ")).toList();
      List<String> expected = new ArrayList<>();
      expected.add("add " + key + " 0");
      for (int i = 1; i < perWriter; i++) {
        expected.add("update " + key + " " + (i - 1) + ">" + i);
      }
      assertThat(mine).as("every write of " + key + " once, in order").isEqualTo(expected);
    }
    org.awaitility.Awaitility.await().atMost(WAIT_MS, TimeUnit.MILLISECONDS)
        .until(() -> revs.size() == writers * perWriter);
    synchronized (revs) {
      assertThat(revs).isSorted().doesNotHaveDuplicates();
    }
  }

  @Test
  void resumesFromLastRevisionAfterTheStreamBreaks() throws Exception {
    String p = "/resume/";
    try (TcpProxy proxy = new TcpProxy(etcd.clientPort())) {
      RecordingHandler h = new RecordingHandler();
      Informer<String> inf = informer(channel(proxy.port()), p, h, b -> { });
      assertThat(inf.awaitSynced(WAIT_MS)).isTrue();
      client.put(p + "a", "1"); // after the (empty) list: this call comes over the watch stream
      h.awaitChanges(1, WAIT_MS);
      proxy.cut();
      client.put(p + "a", "2");
      client.put(p + "b", "1");
      client.delete(p + "a");
      client.put(p + "a", "3");
      EtcdFixture.sleep(300);
      proxy.restore();
      client.put(p + "c", "1");
      List<String> calls = h.awaitChanges(6, WAIT_MS);
      assertThat(calls).containsExactly("add " + p + "a 1", "update " + p + "a 1>2", "add " + p + "b 1",
          "delete " + p + "a 2", "add " + p + "a 3", "add " + p + "c 1");
      assertThat(count("keel.informer.reconnects", p)).isGreaterThanOrEqualTo(1.0);
      assertThat(count("keel.informer.relists", p)).as("resumed, not relisted").isZero();
      assertThat(count("keel.informer.duplicates.skipped", p)).isZero();
      EtcdFixture.sleep(200);
      assertThat(h.changes()).hasSize(6);
    }
  }

  @Test
  void relistsAfterCompactionAndEmitsTheDifference() throws Exception {
    String p = "/compact/";
    for (String k : List.of("a", "b", "c", "d")) {
      client.put(p + k, "1");
    }
    try (TcpProxy proxy = new TcpProxy(etcd.clientPort())) {
      RecordingHandler h = new RecordingHandler();
      Informer<String> inf = informer(channel(proxy.port()), p, h, b -> { });
      assertThat(inf.awaitSynced(WAIT_MS)).isTrue();
      client.put(p + "s", "1"); // arrives over the watch: the stream is up before the cut
      h.awaitChanges(5, WAIT_MS);
      proxy.cut();
      client.delete(p + "a");
      client.put(p + "b", "2");
      client.put(p + "e", "1");
      client.put(p + "f", "1");
      client.delete(p + "f");
      client.put(p + "c", "1"); // same value, new revision: still an update
      client.compact(client.revision());
      proxy.restore();
      List<String> calls = h.awaitChanges(9, WAIT_MS);
      assertThat(calls.subList(5, 9)).containsExactly("delete " + p + "a 1", "update " + p + "b 1>2",
          "update " + p + "c 1>1", "add " + p + "e 1");
      assertThat(count("keel.informer.relists", p)).isEqualTo(1.0);
      assertThat(cacheMap(inf)).isEqualTo(client.list(p));
      client.put(p + "g", "1");
      assertThat(h.awaitChanges(10, WAIT_MS).get(9)).isEqualTo("add " + p + "g 1");
    }
  }

  @Test
  void resumesWithoutGapsOrDuplicatesAfterEtcdRestarts() throws Exception {
    String p = "/restart/";
    ManagedChannel ch = channel(etcd.clientPort());
    RecordingHandler h = new RecordingHandler();
    Informer<String> inf = informer(ch, p, h, b -> { });
    assertThat(inf.awaitSynced(WAIT_MS)).isTrue();
    for (int i = 0; i < 5; i++) {
      client.put(p + "k", Integer.toString(i));
    }
    h.awaitChanges(5, WAIT_MS);
    etcd.restart();
    for (int i = 5; i < 10; i++) {
      client.put(p + "k", Integer.toString(i));
    }
    List<String> calls = h.awaitChanges(10, WAIT_MS);
    List<String> expected = new ArrayList<>();
    expected.add("add " + p + "k 0");
    for (int i = 1; i < 10; i++) {
      expected.add("update " + p + "k " + (i - 1) + ">" + i);
    }
    assertThat(calls).isEqualTo(expected);
    assertThat(count("keel.informer.reconnects", p)).isGreaterThanOrEqualTo(1.0);
    assertThat(cacheMap(inf)).isEqualTo(client.list(p));
  }

  @Test
  void periodicResyncRedeliversEveryCachedObject() throws Exception {
    String p = "/resync/";
    client.put(p + "a", "1");
    client.put(p + "b", "1");
    RecordingHandler h = new RecordingHandler();
    Informer<String> inf = informer(direct, p, h, b -> b.resyncPeriodMs(200));
    assertThat(inf.awaitSynced(WAIT_MS)).isTrue();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (h.calls().stream().filter(c -> c.startsWith("resync ")).count() < 4 && System.nanoTime() < deadline) {
      EtcdFixture.sleep(50);
    }
    List<String> resyncs = h.calls().stream().filter(c -> c.startsWith("resync ")).toList();
    assertThat(resyncs).contains("resync " + p + "a 1>1", "resync " + p + "b 1>1");
    assertThat(count("keel.informer.resyncs", p)).isGreaterThanOrEqualTo(2.0);
    assertThat(h.changes()).hasSize(2);
  }

  @Test
  void badValuesAndThrowingHandlersDoNotStopTheInformer() throws Exception {
    String p = "/bad/";
    RecordingHandler h = new RecordingHandler();
    EventHandler<String> thrower = new EventHandler<>() {
      @Override
      public void onAdd(String key, String object) {
        throw new IllegalStateException("handler bug");
      }
    };
    InformerConfig<String> cfg = InformerConfig.<String>builder(direct, p, (k, v) -> {
      if (v.toStringUtf8().equals("bad")) {
        throw new IllegalArgumentException("cannot parse");
      }
      return v.toStringUtf8();
    }).name(p).registry(registry).build();
    Informer<String> inf = new Informer<>(cfg).addHandler(thrower).addHandler(h).start();
    toClose.add(inf);
    assertThat(inf.awaitSynced(WAIT_MS)).isTrue();
    client.put(p + "x", "bad");
    client.put(p + "y", "good");
    client.put(p + "y", "bad");
    client.put(p + "z", "good");
    assertThat(h.awaitChanges(3, WAIT_MS)).containsExactly("add " + p + "y good", "delete " + p + "y good",
        "add " + p + "z good");
    assertThat(count("keel.informer.decode.errors", p)).isEqualTo(2.0);
    assertThat(count("keel.informer.handler.errors", p)).isEqualTo(2.0);
    assertThat(inf.cache().keys()).containsExactly(p + "z");
  }

  @Test
  void closeStopsTheThreadAndNoMoreCallsArrive() throws Exception {
    String p = "/close/";
    RecordingHandler h = new RecordingHandler();
    Informer<String> inf = informer(direct, p, h, b -> { });
    assertThat(inf.awaitSynced(WAIT_MS)).isTrue();
    client.put(p + "a", "1");
    h.awaitChanges(1, WAIT_MS);
    inf.close();
    assertThat(Thread.getAllStackTraces().keySet().stream().map(Thread::getName))
        .doesNotContain("informer-" + p);
    client.put(p + "a", "2");
    EtcdFixture.sleep(200);
    assertThat(h.changes()).hasSize(1);
  }

  @Test
  void reassemblesAFragmentedWatchResponseIntoOneRevision() throws Exception {
    String p = "/frag/";
    int keys = 14;
    String big1 = "a".repeat(100 * 1024);
    String big2 = "b".repeat(100 * 1024);
    for (int i = 0; i < keys; i++) {
      client.put(p + "k" + (char) ('a' + i), big1);
    }
    RecordingHandler h = new RecordingHandler();
    InformerConfig<String> cfg = InformerConfig.<String>builder(direct, p,
        (k, v) -> v.size() + ":" + (char) v.byteAt(0)).name(p).pageSize(5).registry(registry).build();
    Informer<String> inf = new Informer<>(cfg).addHandler(h).start();
    toClose.add(inf);
    assertThat(inf.awaitSynced(WAIT_MS)).isTrue();
    h.awaitChanges(keys, WAIT_MS);
    Map<String, String> all = new LinkedHashMap<>();
    for (int i = 0; i < keys; i++) {
      all.put(p + "k" + (char) ('a' + i), big2);
    }
    long rev = client.putAll(all); // ~1.4 MB of values, ~2.8 MB with prev_kv: etcd fragments it
    List<String> calls = h.awaitChanges(2 * keys, WAIT_MS);
    for (int i = 0; i < keys; i++) {
      assertThat(calls.get(keys + i)).isEqualTo("update " + p + "k" + (char) ('a' + i) + " 102400:a>102400:b");
    }
    assertThat(count("keel.informer.watch.fragments", p)).isGreaterThanOrEqualTo(1.0);
    assertThat(inf.cache().entries()).allSatisfy(e -> assertThat(e.modRevision()).isEqualTo(rev));
  }
}
