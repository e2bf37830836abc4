package io.keel.watch;

import static io.keel.watch.HubFixture.b;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Revisions that reach the dispatcher together are delivered in batches (one response per watcher for several
 * revisions). Driven step by step over many seeds, with bursts of revisions between steps and streams that stall:
 * every watcher still gets exactly the store's history for its range, in order, each revision whole in one
 * response, headed by the revision of its last event (live) or above (catch-up); and batching did happen.
 */
class WatchBatchTest {
  @TempDir Path dir;

  private record Spec(CollectingSink sink, long id, WatchCreateRequest req) {}

  @Test
  void batchedDeliveryKeepsOrderAtomicityAndExactlyOnceOverSeeds() throws Exception {
    int multiRevisionResponses = 0;
    for (long seed = 1; seed <= 20; seed++) {
      multiRevisionResponses += runSeed(seed);
    }
    assertThat(multiRevisionResponses).as("some responses carried several revisions").isPositive();
  }

  @Test
  void aBatchIsBoundedInRevisions() throws Exception {
    try (HubFixture f = new HubFixture(dir, new WatchConfig(1024, 1024, 64, 1 << 20, 100, 1, 600_000, 1 << 20),
        true)) {
      CollectingSink sink = new CollectingSink();
      Session s = f.hub.open(sink);
      f.hub.create(s, HubFixture.prefix("p/").setWatchId(1).build());
      f.hub.step();
      int n = WatchHub.BATCH_MAX_REVISIONS + 8;
      for (int i = 0; i < n; i++) {
        f.put("p/" + i, "v");
      }
      f.hub.step();
      List<WatchResponse> rs = sink.forWatch(1);
      assertThat(rs).hasSize(3); // created, a full batch, the rest
      assertThat(rs.get(1).getEventsCount()).isEqualTo(WatchHub.BATCH_MAX_REVISIONS);
      assertThat(rs.get(2).getEventsCount()).isEqualTo(8);
    }
  }

  @Test
  void aBurstForOneWatcherGoesOutAsOneResponse() throws Exception {
    try (HubFixture f = new HubFixture(dir, new WatchConfig(1024, 1024, 64, 1 << 20, 100, 1, 600_000, 1 << 20),
        true)) {
      CollectingSink sink = new CollectingSink();
      Session s = f.hub.open(sink);
      f.hub.create(s, HubFixture.prefix("p/").setWatchId(1).build());
      f.hub.step();
      long first = f.put("p/a", "1");
      f.put("p/b", "2");
      long last = f.put("p/a", "3");
      f.hub.step();
      List<WatchResponse> rs = sink.forWatch(1);
      assertThat(rs).hasSize(2); // created, then one response for the three revisions
      assertThat(rs.get(1).getHeader().getRevision()).isEqualTo(last);
      assertThat(rs.get(1).getEventsList()).extracting(e -> e.getKv().getModRevision())
          .containsExactly(first, first + 1, last);
      long next = f.put("p/c", "4");
      f.hub.step();
      assertThat(sink.forWatch(1)).hasSize(3).last()
          .satisfies(r -> assertThat(r.getHeader().getRevision()).isEqualTo(next));
    }
  }

  private int runSeed(long seed) throws Exception {
    Random rnd = new Random(seed);
    WatchConfig cfg = new WatchConfig(1024, 1024, 2 + rnd.nextInt(20), 512 + rnd.nextInt(1 << 16),
        1 + rnd.nextInt(60), 1, 600_000, 1 << 20);
    Path d = Files.createDirectories(dir.resolve("s" + seed));
    int multi = 0;
    try (HubFixture f = new HubFixture(d, cfg, true)) {
      for (int i = 0; i < 10; i++) {
        f.put("k/" + rnd.nextInt(16), "pre" + i);
      }
      List<CollectingSink> sinks = new ArrayList<>();
      List<Session> sessions = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        CollectingSink sink = new CollectingSink();
        sinks.add(sink);
        sessions.add(f.hub.open(sink));
      }
      List<Spec> specs = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        int si = rnd.nextInt(sessions.size());
        WatchCreateRequest req = randomWatch(rnd, f.store.currentRevision(), i + 1);
        f.hub.create(sessions.get(si), req);
        specs.add(new Spec(sinks.get(si), i + 1, req));
      }
      f.hub.step();
      for (int round = 0; round < 30; round++) {
        int burst = rnd.nextInt(4) == 0 ? 40 + rnd.nextInt(40) : rnd.nextInt(6);
        for (int i = 0; i < burst; i++) {
          write(f, rnd, i);
        }
        if (rnd.nextInt(5) == 0) {
          sinks.get(rnd.nextInt(sinks.size())).setReady(false);
        } else if (rnd.nextInt(3) == 0) {
          sinks.get(rnd.nextInt(sinks.size())).setReady(true);
        }
        f.hub.step();
      }
      sinks.forEach(s -> s.setReady(true));
      long end = f.store.currentRevision();
      for (Spec s : specs) {
        multi += check(f, s, end, seed);
      }
    }
    return multi;
  }

  private static WatchCreateRequest randomWatch(Random rnd, long current, long id) {
    WatchCreateRequest.Builder b = switch (rnd.nextInt(4)) {
      case 0 -> HubFixture.prefix("k/");
      case 1 -> HubFixture.watch("k/" + rnd.nextInt(16));
      case 2 -> HubFixture.watch("k/2").setRangeEnd(b("k/5"));
      default -> HubFixture.prefix("k/1");
    };
    b.setWatchId(id).setPrevKv(rnd.nextBoolean());
    if (rnd.nextInt(6) == 0) {
      b.addFilters(rnd.nextBoolean() ? WatchCreateRequest.FilterType.NOPUT : WatchCreateRequest.FilterType.NODELETE);
    }
    if (rnd.nextInt(4) == 0) {
      b.setStartRevision(1 + rnd.nextInt((int) current));
    }
    return b.build();
  }

  private static void write(HubFixture f, Random r, int i) {
    switch (r.nextInt(4)) {
      case 0 -> f.store.deleteRange(DeleteRangeRequest.newBuilder().setKey(b("k/" + r.nextInt(16))).build(), 0);
      case 1 -> {
        TxnRequest.Builder t = TxnRequest.newBuilder();
        Set<Integer> used = new HashSet<>();
        for (int j = 0; j < 4; j++) {
          int key = r.nextInt(16);
          if (used.add(key)) {
            t.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder()
                .setKey(b("k/" + key)).setValue(b("t" + i))));
          }
        }
        f.store.txn(t.build(), 0);
      }
      default -> f.put("k/" + r.nextInt(16), "v" + i);
    }
  }

  /** Checks one watcher's responses; returns how many carried several revisions. */
  private static int check(HubFixture f, Spec s, long end, long seed) throws InterruptedException {
    WatchRange range = WatchRange.of(s.req.getKey(), s.req.getRangeEnd());
    List<WatchResponse> mine = s.sink.forWatch(s.id);
    assertThat(mine).as("seed %d watch %d created", seed, s.id).isNotEmpty();
    long start = s.req.getStartRevision() > 0 ? s.req.getStartRevision()
        : mine.get(0).getHeader().getRevision() + 1;
    List<Event> expected = new ArrayList<>();
    for (Event e : f.store.events(start, end, true, Integer.MAX_VALUE)) {
      boolean filtered = s.req.getFiltersList().contains(WatchCreateRequest.FilterType.NOPUT)
          && e.getType() == Event.EventType.PUT || s.req.getFiltersList().contains(
          WatchCreateRequest.FilterType.NODELETE) && e.getType() == Event.EventType.DELETE;
      if (range.contains(e.getKv().getKey()) && !filtered) {
        expected.add(s.req.getPrevKv() ? e : e.toBuilder().clearPrevKv().build());
      }
    }
    long deadline = System.currentTimeMillis() + 20_000;
    while (mine.stream().mapToInt(WatchResponse::getEventsCount).sum() < expected.size()
        && System.currentTimeMillis() < deadline) {
      f.hub.step(); // catch-up rounds for watchers that fell behind
      Thread.sleep(2);
      mine = s.sink.forWatch(s.id);
    }
    assertThat(mine.get(0).getCreated()).isTrue();
    List<Event> got = new ArrayList<>();
    Set<Long> seen = new HashSet<>();
    int multi = 0;
    for (WatchResponse r : mine.subList(1, mine.size())) {
      TreeSet<Long> revs = new TreeSet<>();
      r.getEventsList().forEach(e -> revs.add(e.getKv().getModRevision()));
      for (long rev : revs) {
        assertThat(seen.add(rev)).as("seed %d watch %d: revision %d split across responses", seed, s.id, rev)
            .isTrue();
      }
      if (!revs.isEmpty()) {
        assertThat(r.getHeader().getRevision()).as("seed %d: header at or above its events", seed)
            .isGreaterThanOrEqualTo(revs.last());
      }
      if (revs.size() > 1) {
        multi++;
      }
      got.addAll(r.getEventsList());
    }
    assertThat(got).as("seed %d watch %d (%s): exactly the history, in order", seed, s.id, s.req)
        .isEqualTo(expected);
    return multi;
  }
}
