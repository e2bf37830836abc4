package io.keel.server.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.WatchCreateRequest;
import io.keel.proto.etcdserverpb.WatchResponse;
import io.keel.proto.mvccpb.Event;
import io.keel.server.MemberCluster;
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
  MemberCluster mc;

  static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @AfterEach
  void stopAll() {
    if (mc != null) {
      mc.close();
    }
  }

  /** Puts keys through member {@code via} until stopped; failures (elections) are retried with a new value. */
  Thread writer(int via, AtomicBoolean stop, AtomicInteger written) {
    Thread t = new Thread(() -> {
      int n = 0;
      while (!stop.get() && n < 5000) {
        try {
          KVGrpc.newBlockingStub(mc.channel(via)).withDeadlineAfter(3, TimeUnit.SECONDS)
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
    mc = MemberCluster.builder(dir, N).start();
    int leader = mc.leader();
    int watched = (leader + 1) % N;
    int other = (leader + 2) % N;

    WatchClient w = new WatchClient(mc.channel(watched));
    w.create(WatchCreateRequest.newBuilder().setKey(b("w/")).setRangeEnd(b("w0")).build());
    WatchResponse created = w.next(10_000);
    long start = created.getHeader().getRevision() + 1;
    List<Event> got = new ArrayList<>();

    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger written = new AtomicInteger();
    Thread wr = writer(other, stop, written);
    await().atMost(Duration.ofSeconds(30)).until(() -> written.get() >= 30);
    mc.stop(leader); // leader change under load
    int before = written.get();
    await().atMost(Duration.ofSeconds(30)).until(() -> written.get() >= before + 30);

    WatchClient resumed = w;
    int afterChange = written.get();
    await().atMost(Duration.ofSeconds(30)).until(() -> written.get() >= afterChange + 20);
    stop.set(true);
    wr.join();

    // the reference: the same member's history replayed from the first start revision
    WatchClient ref = new WatchClient(mc.channel(watched));
    ref.create(WatchCreateRequest.newBuilder().setKey(b("w/")).setRangeEnd(b("w0")).setStartRevision(start).build());
    ref.next(10_000);
    long end = KVGrpc.newBlockingStub(mc.channel(watched)).withDeadlineAfter(5, TimeUnit.SECONDS)
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
