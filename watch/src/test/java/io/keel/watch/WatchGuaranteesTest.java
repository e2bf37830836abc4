package io.keel.watch;

import static io.keel.watch.HubFixture.b;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.keel.proto.etcdserverpb.DeleteRangeRequest;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.proto.etcdserverpb.WatchCreateRequest;
import io.keel.proto.etcdserverpb.WatchResponse;
import io.keel.proto.mvccpb.Event;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watch guarantees under concurrent writers, checked over many seeds: every watcher receives exactly the
 * store's history for its range from its start revision (ordered, unique, reliable), never a revision split
 * across responses (atomic), also when streams stall (catch-up) and when the writer-to-dispatcher pipeline
 * overflows. Start revisions in the past exercise resumption.
 */
class WatchGuaranteesTest {
  @TempDir Path dir;

  private record Spec(Session session, CollectingSink sink, long id, WatchCreateRequest req) {}

  @Test
  void guaranteesHoldOverSeeds() throws Exception {
    double overflows = 0;
    int slowSeeds = 0;
    for (long seed = 1; seed <= 12; seed++) {
      double[] c = runSeed(seed);
      slowSeeds += c[0] > 0 ? 1 : 0;
      overflows += c[1];
    }
    // measured: 7-9 of the 12 seeds (the others' pipeline overflowed first, which also means catch-up)
    assertThat(slowSeeds).as("seeds where stalled streams sent watchers to catch-up").isGreaterThanOrEqualTo(3);
    assertThat(overflows).as("the pipeline overflowed in some seeds").isPositive();
  }

  private double[] runSeed(long seed) throws Exception {
    Random rnd = new Random(seed);
    int[] queues = {1, 3, 1024};
    WatchConfig cfg = new WatchConfig(queues[rnd.nextInt(3)], 1024, 2 + rnd.nextInt(6), 1 + rnd.nextInt(8192),
        1 + rnd.nextInt(60), 1, 600_000, 1 << 20);
    Path d = Files.createDirectories(dir.resolve("s" + seed));
    try (HubFixture f = new HubFixture(d, cfg)) {
      for (int i = 0; i < 20; i++) {
        f.put("k/" + rnd.nextInt(16), "pre" + i);
      }
      List<Spec> specs = new ArrayList<>();
      List<CollectingSink> sinks = new ArrayList<>();
      List<Session> sessions = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        CollectingSink sink = new CollectingSink();
        sinks.add(sink);
        sessions.add(f.hub.open(sink));
      }
      // Session 0 stays stalled through all the writes, with a watch on every key written: its stream must go
      // slow and catch up, whatever the machine's speed (random stalls alone may miss it on a fast one).
      sinks.get(0).setReady(false);
      WatchCreateRequest held = HubFixture.prefix("k/").setWatchId(100).build();
      f.hub.create(sessions.get(0), held);
      specs.add(new Spec(sessions.get(0), sinks.get(0), 100, held));
      AtomicBoolean writing = new AtomicBoolean(true);
      List<Thread> writers = new ArrayList<>();
      for (int w = 0; w < 3; w++) {
        long ws = seed * 31 + w;
        Thread t = new Thread(() -> write(f, new Random(ws), 120));
        writers.add(t);
        t.start();
      }
      Thread staller = new Thread(() -> {
        Random r = new Random(seed * 7);
        while (writing.get()) {
          sinks.get(1 + r.nextInt(sinks.size() - 1)).setReady(r.nextInt(3) > 0);
          sleep(1 + r.nextInt(3));
        }
      });
      staller.start();
      for (int i = 0; i < 16; i++) {
        int si = rnd.nextInt(sessions.size());
        WatchCreateRequest req = randomWatch(rnd, f.store.currentRevision(), i + 1);
        f.hub.create(sessions.get(si), req);
        specs.add(new Spec(sessions.get(si), sinks.get(si), i + 1, req));
        sleep(rnd.nextInt(5));
      }
      for (Thread t : writers) {
        t.join();
      }
      writing.set(false);
      staller.join();
      sinks.forEach(s -> s.setReady(true));
      long end = f.store.currentRevision();
      for (Spec s : specs) {
        check(f, s, end, seed);
      }
      return new double[] {f.registry.counter("keel.watch.slow.transitions").count(),
          f.registry.counter("keel.watch.pipeline.overflows").count()};
    }
  }

  private static WatchCreateRequest randomWatch(Random rnd, long current, long id) {
    WatchCreateRequest.Builder b = switch (rnd.nextInt(5)) {
      case 0 -> HubFixture.prefix("k/");
      case 1 -> HubFixture.watch("k/" + rnd.nextInt(16));
      case 2 -> HubFixture.watch("k/2").setRangeEnd(b("k/5"));
      case 3 -> HubFixture.watch("k/8").setRangeEnd(ByteString.copyFrom(new byte[] {0}));
      default -> WatchCreateRequest.newBuilder().setRangeEnd(ByteString.copyFrom(new byte[] {0}));
    };
    b.setWatchId(id).setPrevKv(rnd.nextBoolean()).setFragment(rnd.nextInt(4) == 0);
    if (rnd.nextInt(6) == 0) {
      b.addFilters(rnd.nextBoolean() ? WatchCreateRequest.FilterType.NOPUT : WatchCreateRequest.FilterType.NODELETE);
    }
    if (rnd.nextBoolean()) {
      b.setStartRevision(1 + rnd.nextInt((int) current));
    }
    return b.build();
  }

  private static void write(HubFixture f, Random r, int ops) {
    for (int i = 0; i < ops; i++) {
      String k = "k/" + r.nextInt(16);
      switch (r.nextInt(4)) {
        case 0 -> f.store.deleteRange(DeleteRangeRequest.newBuilder().setKey(b(k)).build(), 0);
        case 1 -> {
          TxnRequest.Builder t = TxnRequest.newBuilder();
          Set<Integer> used = new HashSet<>();
          for (int j = 0; j < 3; j++) {
            int key = r.nextInt(16);
            if (used.add(key)) {
              t.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder()
                  .setKey(b("k/" + key)).setValue(b("t" + i))));
            }
          }
          f.store.txn(t.build(), 0);
        }
        default -> f.put(k, "v" + i + "-" + r.nextInt(1000));
      }
    }
  }

  private static void check(HubFixture f, Spec s, long end, long seed) {
    List<WatchResponse> mine = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 20_000;
    List<Event> expected = null;
    while (System.currentTimeMillis() < deadline) {
      mine = s.sink.forWatch(s.id);
      if (!mine.isEmpty() && expected == null) {
        WatchResponse created = mine.get(0);
        assertThat(created.getCreated()).as("seed %d: created first", seed).isTrue();
        long start = s.req.getStartRevision() > 0 ? s.req.getStartRevision() : created.getHeader().getRevision() + 1;
        expected = expectedEvents(f, s.req, start, end);
      }
      if (expected != null && countEvents(mine) >= expected.size()) {
        break;
      }
      sleep(5);
    }
    assertThat(expected).as("seed %d watch %d was created", seed, s.id).isNotNull();
    List<Event> got = new ArrayList<>();
    Set<Long> revsSeen = new HashSet<>();
    for (WatchResponse r : mine.subList(1, mine.size())) {
      Set<Long> inThis = new HashSet<>();
      for (Event e : r.getEventsList()) {
        inThis.add(e.getKv().getModRevision());
      }
      if (!s.req.getFragment()) {
        for (long rev : inThis) {
          assertThat(revsSeen.add(rev)).as("seed %d watch %d: revision %d split across responses", seed, s.id, rev)
              .isTrue();
        }
      }
      got.addAll(r.getEventsList());
    }
    assertThat(got).as("seed %d watch %d (%s): exactly the history", seed, s.id, s.req).isEqualTo(expected);
  }

  private static int countEvents(List<WatchResponse> rs) {
    return rs.stream().mapToInt(WatchResponse::getEventsCount).sum();
  }

  private static List<Event> expectedEvents(HubFixture f, WatchCreateRequest req, long start, long end) {
    WatchRange range = WatchRange.of(req.getKey(), req.getRangeEnd());
    List<Event> out = new ArrayList<>();
    for (Event e : f.store.events(start, end, true, Integer.MAX_VALUE)) {
      if (!range.contains(e.getKv().getKey())) {
        continue;
      }
      if (req.getFiltersList().contains(WatchCreateRequest.FilterType.NOPUT) && e.getType() == Event.EventType.PUT
          || req.getFiltersList().contains(WatchCreateRequest.FilterType.NODELETE)
          && e.getType() == Event.EventType.DELETE) {
        continue;
      }
      out.add(req.getPrevKv() ? e : e.toBuilder().clearPrevKv().build());
    }
    return out;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
