package io.keel.server.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.WatchCreateRequest;
import io.keel.proto.etcdserverpb.WatchResponse;
import io.keel.proto.mvccpb.Event;
import io.keel.server.KeelServer;
import io.keel.server.ServerConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A watch on a follower of a 3-member in-JVM cluster while a writer runs and the leader is stopped (leader
 * change). What it received must equal the member's history replayed from the start revision: no gap, no
 * duplicate, in order. (Member restart with resume is in {@link WatchServiceTest}.)
 */
class ClusterWatchTest {
  static final int N = 3;
  @TempDir Path dir;
  final int[] clientPorts = new int[N];
  final int[] peerPorts = new int[N];
  final KeelServer[] servers = new KeelServer[N];
  final ManagedChannel[] channels = new ManagedChannel[N];
  String cluster;

  static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  void start(int i) throws IOException {
    String client = "http://127.0.0.1:" + clientPorts[i];
    String peer = "http://127.0.0.1:" + peerPorts[i];
    servers[i] = KeelServer.start(new ServerConfig("m" + i, dir.resolve("m" + i), ServerConfig.parseUrls("c", client),
        ServerConfig.parseUrls("a", client), ServerConfig.parseUrls("p", peer), ServerConfig.parseUrls("p", peer),
        ServerConfig.parseInitialCluster(cluster), "new", "tok", 1 << 20, 0, List.of(), 128, 1000, 50, 500,
        ServerConfig.DEFAULT_SNAPSHOT_COUNT, java.util.Set.of()));
  }

  void awaitReady(int i) throws Exception {
    assertThat(servers[i].awaitReady(30_000)).as("member %d ready", i).isTrue();
  }

  int leader() {
    int[] l = {-1};
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      for (int i = 0; i < N; i++) {
        if (servers[i] != null && servers[i].member().leaderId() == servers[i].member().memberId()) {
          l[0] = i;
          return true;
        }
      }
      return false;
    });
    return l[0];
  }

  @AfterEach
  void stopAll() {
    for (int i = 0; i < N; i++) {
      if (channels[i] != null) {
        channels[i].shutdownNow();
      }
      if (servers[i] != null) {
        servers[i].close();
      }
    }
  }

  /** Puts keys through member {@code via} until stopped; failures (elections) are retried with a new value. */
  Thread writer(int via, AtomicBoolean stop, AtomicInteger written) {
    Thread t = new Thread(() -> {
      int n = 0;
      while (!stop.get() && n < 5000) {
        try {
          KVGrpc.newBlockingStub(channels[via]).withDeadlineAfter(3, TimeUnit.SECONDS)
              .put(PutRequest.newBuilder().setKey(b("w/" + (n % 7))).setValue(b("v" + n)).build());
          written.incrementAndGet();
        } catch (RuntimeException e) {
          sleep(20);
        }
        n++;
      }
    }, "test-writer");
    t.start();
    return t;
  }

  @Test
  void watchOnAFollowerSurvivesALeaderChangeWithoutGapsOrDuplicates() throws Exception {
    StringBuilder c = new StringBuilder();
    for (int i = 0; i < N; i++) {
      clientPorts[i] = WatchServiceTest.freePort();
      peerPorts[i] = WatchServiceTest.freePort();
      c.append(i == 0 ? "" : ",").append("m").append(i).append("=http://127.0.0.1:").append(peerPorts[i]);
    }
    cluster = c.toString();
    for (int i = 0; i < N; i++) {
      start(i);
      channels[i] = NettyChannelBuilder.forAddress("127.0.0.1", clientPorts[i]).usePlaintext().build();
    }
    for (int i = 0; i < N; i++) {
      awaitReady(i);
    }
    int leader = leader();
    int watched = (leader + 1) % N;
    int other = (leader + 2) % N;

    WatchClient w = new WatchClient(channels[watched]);
    w.create(WatchCreateRequest.newBuilder().setKey(b("w/")).setRangeEnd(b("w0")).build());
    WatchResponse created = w.next(10_000);
    long start = created.getHeader().getRevision() + 1;
    List<Event> got = new ArrayList<>();

    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger written = new AtomicInteger();
    Thread wr = writer(other, stop, written);
    await().atMost(Duration.ofSeconds(30)).until(() -> written.get() >= 30);
    servers[leader].close(); // leader change under load
    servers[leader] = null;
    int before = written.get();
    await().atMost(Duration.ofSeconds(30)).until(() -> written.get() >= before + 30);

    WatchClient resumed = w;
    int afterChange = written.get();
    await().atMost(Duration.ofSeconds(30)).until(() -> written.get() >= afterChange + 20);
    stop.set(true);
    wr.join();

    // the reference: the same member's history replayed from the first start revision
    WatchClient ref = new WatchClient(channels[watched]);
    ref.create(WatchCreateRequest.newBuilder().setKey(b("w/")).setRangeEnd(b("w0")).setStartRevision(start).build());
    ref.next(10_000);
    long end = KVGrpc.newBlockingStub(channels[watched]).withDeadlineAfter(5, TimeUnit.SECONDS)
        .range(io.keel.proto.etcdserverpb.RangeRequest.newBuilder().setKey(b("w/")).setRangeEnd(b("w0")).build())
        .getHeader().getRevision();
    List<Event> expected = until(ref, 0, end);
    got.addAll(until(resumed, 0, end));
    assertThat(written.get()).isGreaterThan(60);
    long prev = 0;
    for (Event e : got) {
      assertThat(e.getKv().getModRevision()).as("strictly increasing revisions").isGreaterThan(prev);
      prev = e.getKv().getModRevision();
    }
    assertThat(got).as("no gaps, no duplicates across the leader change").isEqualTo(expected);
    w.close();
    ref.close();
  }

  /** Events of watch 0 received so far (waits briefly for in-flight ones). */
  static List<Event> drain(WatchClient w) throws InterruptedException {
    List<Event> out = new ArrayList<>();
    WatchResponse r;
    while ((r = w.responses.poll(500, TimeUnit.MILLISECONDS)) != null) {
      out.addAll(r.getEventsList());
    }
    return out;
  }

  /** Events of watch {@code id} until one at revision {@code end} or later arrives (all members converge). */
  static List<Event> until(WatchClient w, long id, long end) throws InterruptedException {
    List<Event> out = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 30_000;
    while (out.isEmpty() || out.get(out.size() - 1).getKv().getModRevision() < end) {
      WatchResponse r = w.responses.poll(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
      if (r == null) {
        throw new AssertionError("no events up to " + end + "; got " + out.size());
      }
      if (r.getWatchId() == id) {
        out.addAll(r.getEventsList());
      }
    }
    return out;
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
