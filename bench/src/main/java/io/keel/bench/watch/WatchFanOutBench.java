package io.keel.bench.watch;

import com.google.protobuf.ByteString;
import io.keel.kvstore.MvccStore;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.ResponseHeader;
import io.keel.proto.etcdserverpb.WatchCreateRequest;
import io.keel.watch.Session;
import io.keel.watch.WatchConfig;
import io.keel.watch.WatchHub;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Watch fan-out through the real store and hub: one put (the op) to a key watched by {@code watchers} prefix
 * watchers spread over 100 streams, plus {@code watchers} idle single-key watchers the index must skip; the op
 * completes when every matching watcher's event reached its stream. Events delivered per second =
 * ops/s x watchers.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class WatchFanOutBench {
  @Param({"1000", "10000"})
  public int watchers;

  private Path dir;
  private MvccStore store;
  private WatchHub hub;
  private final List<CountingSink> sinks = new ArrayList<>();
  private long expected;
  private long seq;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    dir = Files.createTempDirectory("watch-bench");
    store = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false));
    hub = new WatchHub(store, WatchConfig.defaults(1 << 20),
        rev -> ResponseHeader.newBuilder().setRevision(rev).build(), new SimpleMeterRegistry());
    List<Session> sessions = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      CountingSink s = new CountingSink();
      sinks.add(s);
      sessions.add(hub.open(s));
    }
    ByteString prefix = ByteString.copyFromUtf8("/registry/pods/");
    ByteString end = ByteString.copyFromUtf8("/registry/pods0");
    for (int i = 0; i < watchers; i++) {
      Session s = sessions.get(i % sessions.size());
      hub.create(s, WatchCreateRequest.newBuilder().setKey(prefix).setRangeEnd(end).build());
      hub.create(s, WatchCreateRequest.newBuilder().setKey(ByteString.copyFromUtf8("/idle/" + i)).build());
      if (i % 1000 == 999) {
        awaitRegistered(2 * (i + 1)); // the hub's command queue is bounded: pace the creates
      }
    }
    awaitRegistered(2 * watchers);
  }

  private void awaitRegistered(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (hub.watcherCounts()[0] < n) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("watchers not registered in 60 s");
      }
      Thread.sleep(1);
    }
  }

  @Benchmark
  public long putFansOut() throws InterruptedException {
    store.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("/registry/pods/p" + (seq++ % 1000)))
        .setValue(ByteString.copyFromUtf8("v")).build(), 0);
    expected += watchers;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      long got = 0;
      for (CountingSink s : sinks) {
        got += s.events.get();
      }
      if (got >= expected) {
        return got;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("fan-out stalled: " + got + " of " + expected + " events");
      }
      Thread.onSpinWait();
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    hub.close();
    store.close();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
