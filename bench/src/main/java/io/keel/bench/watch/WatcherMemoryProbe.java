package io.keel.bench.watch;

import com.google.protobuf.ByteString;
import io.keel.kvstore.MvccStore;
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

/**
 * Heap bytes per idle watcher in the hub: retained heap after full GCs before and after registering N watchers
 * on 100 streams, (a) all on one prefix (Kubernetes-style) and (b) each on its own key; then (c) the same N
 * distinct keys alone (as the {@code ByteString}s a parsed request holds, in an array), so (b) - (c) is what the
 * hub's own structures cost per watcher.
 * Usage: {@code java -cp ... io.keel.bench.watch.WatcherMemoryProbe 100000}.
 */
public final class WatcherMemoryProbe {
  private WatcherMemoryProbe() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    for (boolean distinct : new boolean[] {false, true}) {
      Path dir = Files.createTempDirectory("watch-mem");
      try (MvccStore store = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false))) {
        WatchHub hub = new WatchHub(store, WatchConfig.defaults(1 << 20),
            rev -> ResponseHeader.newBuilder().setRevision(rev).build(), new SimpleMeterRegistry());
        List<Session> sessions = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          sessions.add(hub.open(new CountingSink()));
        }
        Thread.sleep(200);
        long before = used();
        for (int i = 0; i < n; i++) {
          // built per call and dropped, as a gRPC request is: what stays is what the hub retains
          hub.create(sessions.get(i % 100), distinct
              ? WatchCreateRequest.newBuilder().setKey(ByteString.copyFromUtf8("/registry/pods/ns/p" + i)).build()
              : WatchCreateRequest.newBuilder().setKey(ByteString.copyFromUtf8("/registry/pods/"))
                  .setRangeEnd(ByteString.copyFromUtf8("/registry/pods0")).build());
          if (i % 1000 == 999) {
            while (hub.watcherCounts()[0] < i + 1) {
              Thread.sleep(1); // the hub's command queue is bounded: pace the creates
            }
          }
        }
        while (hub.watcherCounts()[0] < n) {
          Thread.sleep(10);
        }
        long after = used();
        System.out.printf("%s: %d watchers, %.1f bytes/watcher retained by the hub (keys included)%n",
            distinct ? "distinct keys" : "one prefix", n, (after - before) / (double) n);
        hub.close();
      }
    }
    long before = used();
    ByteString[] keys = new ByteString[n];
    for (int i = 0; i < n; i++) {
      keys[i] = ByteString.copyFromUtf8("/registry/pods/ns/p" + i);
    }
    long after = used();
    System.out.printf("keys alone: %d distinct keys, %.1f bytes/key (ByteString + its byte[] + array slot)%n",
        keys.length, (after - before) / (double) n);
  }

  private static long used() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(100);
      best = Math.min(best, rt.totalMemory() - rt.freeMemory());
    }
    return best;
  }
}
