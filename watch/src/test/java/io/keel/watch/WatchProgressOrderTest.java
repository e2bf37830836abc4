package io.keel.watch;

import static io.keel.watch.HubFixture.b;
import static io.keel.watch.HubFixture.prefix;
import static io.keel.watch.HubFixture.watch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.keel.proto.etcdserverpb.CompactionRequest;
import io.keel.proto.etcdserverpb.DeleteRangeRequest;
import io.keel.proto.etcdserverpb.WatchCreateRequest;
import io.keel.proto.etcdserverpb.WatchResponse;
import io.keel.proto.mvccpb.Event;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A progress response (watch_id -1) claims every event up to its revision was sent to every watcher of the stream.
 * These tests drive the hub's dispatcher step by step (no dispatcher thread) over a real store, so the orderings of
 * requests, revisions, catch-up rounds and compaction are exact. Found by chaos run 092032Z-15: a create from an old
 * revision and a progress request handled in one step, the store compacted above the start; the compaction cancel
 * answered the waiting progress request before it queued the cancel itself.
 */
class WatchProgressOrderTest {
  @TempDir Path dir;

  /** catch-up every 1 ms, tiny streams (4 responses) so backed-up watchers are common, no periodic progress. */
  private static WatchConfig config() {
    return new WatchConfig(8, 1024, 4, 4096, 3, 1, 600_000, 1 << 20);
  }

  @Test
  void compactionCancelPrecedesTheProgressItUnblocks() {
    try (HubFixture f = new HubFixture(dir, config(), true)) {
      for (int i = 0; i < 10; i++) {
        f.put("a" + i, "v");
      }
      f.store.compact(CompactionRequest.newBuilder().setRevision(6).build(), 0);
      f.hub.step(); // revisions 1..10 were at or below the hub's start: nothing to do
      CollectingSink sink = new CollectingSink();
      Session s = f.hub.open(sink);
      f.hub.step();
      f.hub.create(s, prefix("a").setStartRevision(2).build());
      f.hub.requestProgress(s); // handled in the same step as the create, before the catch-up round
      f.hub.step();
      List<WatchResponse> got = sink.received();
      assertThat(got).hasSize(3);
      assertThat(got.get(0).getCreated()).isTrue();
      assertThat(got.get(1).getCanceled()).as("the compaction cancel first: %s", got).isTrue();
      assertThat(got.get(1).getCompactRevision()).isEqualTo(6);
      assertThat(got.get(2).getWatchId()).as("then the progress, for a stream with no watcher left").isEqualTo(-1);
      assertThat(got.get(2).getHeader().getRevision()).isEqualTo(f.store.currentRevision());
    }
  }

  @Test
  void progressWaitsWhileTheHubLagsTheStore() {
    try (HubFixture f = new HubFixture(dir, config(), true)) {
      f.put("a", "1");
      // the store moves on while the dispatcher has not run (a member re-applying its log after a restart)
      for (int i = 0; i < 20; i++) {
        f.put("a", "x" + i);
      }
      long last = f.store.currentRevision();
      CollectingSink sink = new CollectingSink();
      Session s = f.hub.open(sink);
      f.hub.create(s, watch("a").setStartRevision(2).build()); // above the hub's lastRev (1): synced at once
      f.hub.requestProgress(s);
      for (int i = 0; i < 200 && (f.hub.watcherCounts()[1] > 0 || i < 5); i++) {
        f.hub.step();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
      }
      List<WatchResponse> got = sink.received();
      long progress = -1;
      List<Long> revs = new ArrayList<>();
      for (WatchResponse r : got) {
        if (r.getWatchId() == -1) {
          progress = r.getHeader().getRevision();
          assertThat(revs).as("events before the progress at %d", progress).hasSize((int) Math.max(0, progress - 1));
        }
        for (Event e : r.getEventsList()) {
          assertThat(e.getKv().getModRevision()).as("event after progress %d", progress).isGreaterThan(progress);
          revs.add(e.getKv().getModRevision());
        }
      }
      assertThat(progress).as("the progress request was answered").isPositive();
      assertThat(revs).hasSize((int) (last - 1));
    }
  }

  /**
   * Random interleavings of puts, deletes, compactions, creates (from old, current and future revisions), cancels,
   * progress requests, stalled clients and dispatcher steps. Per stream, in arrival order: at every progress
   * response, every watch still open on the stream (created, not yet canceled) has received exactly its history
   * from its start up to the progress revision; no event arrives at or below an earlier progress revision; a
   * watch's events are exactly its history (a prefix of it if the watch was canceled by compaction).
   */
  @Test
  void progressNeverOvertakesEventsOverSeeds() throws Exception {
    for (long seed = 1; seed <= 16; seed++) {
      runSeed(seed);
    }
  }

  private record Ev(long rev, String key, boolean delete) {}

  private record Stream(Session session, CollectingSink sink, Map<Long, WatchCreateRequest> requests) {}

  private void runSeed(long seed) throws Exception {
    Random rnd = new Random(seed);
    Path d = Files.createDirectories(dir.resolve("s" + seed));
    List<Ev> history = new ArrayList<>();
    try (HubFixture f = new HubFixture(d, config(), true)) {
      int before = rnd.nextInt(30);
      for (int i = 0; i < before; i++) {
        f.put("k" + rnd.nextInt(5), "v"); // dispatched before any watch exists: read back only in catch-up
      }
      history.addAll(historyOf(f));
      List<Stream> streams = new ArrayList<>();
      for (int op = 0; op < 400; op++) {
        int k = rnd.nextInt(100);
        long cur = f.store.currentRevision();
        if (k < 35) {
          String key = "k" + rnd.nextInt(5);
          long r = f.put(key, "v" + op);
          history.add(new Ev(r, key, false));
        } else if (k < 40) {
          String key = "k" + rnd.nextInt(5);
          var resp = f.store.deleteRange(DeleteRangeRequest.newBuilder().setKey(b(key)).build(), 0);
          if (resp.getDeleted() > 0) {
            history.add(new Ev(resp.getHeader().getRevision(), key, true));
          }
        } else if (k < 43 && cur > 2) {
          long at = Math.max(f.store.compactRevision(), cur - 1 - rnd.nextInt((int) Math.min(cur - 1, 20)));
          if (at > f.store.compactRevision()) {
            f.store.compact(CompactionRequest.newBuilder().setRevision(at).build(), 0);
          }
        } else if (k < 50 && streams.size() < 4) {
          CollectingSink sink = new CollectingSink();
          streams.add(new Stream(f.hub.open(sink), sink, new HashMap<>()));
        } else if (k < 62 && !streams.isEmpty()) {
          Stream s = streams.get(rnd.nextInt(streams.size()));
          long start = switch (rnd.nextInt(4)) {
            case 0 -> 0;
            case 1 -> cur + 1 + rnd.nextInt(3);
            default -> Math.max(1, cur - rnd.nextInt(40));
          };
          long id = s.requests.size() + 1;
          WatchCreateRequest req = (rnd.nextBoolean() ? prefix("k") : watch("k" + rnd.nextInt(5)))
              .setWatchId(id).setStartRevision(start == 0 ? cur + 1 : start).build();
          s.requests.put(id, req);
          f.hub.create(s.session, req);
        } else if (k < 64 && !streams.isEmpty()) {
          Stream s = streams.get(rnd.nextInt(streams.size()));
          if (!s.requests.isEmpty()) {
            f.hub.cancel(s.session, 1 + rnd.nextInt(s.requests.size()));
          }
        } else if (k < 76 && !streams.isEmpty()) {
          f.hub.requestProgress(streams.get(rnd.nextInt(streams.size())).session);
        } else if (k < 80 && !streams.isEmpty()) {
          streams.get(rnd.nextInt(streams.size())).sink.setReady(rnd.nextInt(3) > 0);
        } else {
          f.hub.step();
          if (rnd.nextInt(4) == 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // let a catch-up round come due
          }
        }
      }
      // settle: every client reads, every stream asks for progress, until all watchers are synced and idle
      for (Stream s : streams) {
        s.sink.setReady(true);
        f.hub.requestProgress(s.session);
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (f.hub.watcherCounts()[1] > 0 || streams.stream().anyMatch(s -> s.session.pendingResponses() > 0)
          || f.hub.step()) {
        if (System.nanoTime() > deadline) {
          fail("seed %d did not settle: %s unsynced", seed, f.hub.watcherCounts()[1]);
        }
        f.hub.step();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      }
      long end = f.store.currentRevision();
      for (Stream s : streams) {
        check(seed, s, history, end);
      }
    }
  }

  /** The store's full history as events (no compaction has happened yet when this runs). */
  private static List<Ev> historyOf(HubFixture f) {
    List<Ev> out = new ArrayList<>();
    long cur = f.store.currentRevision();
    if (cur < 2) {
      return out;
    }
    for (Event e : f.store.events(2, cur, false, 10_000)) {
      out.add(new Ev(e.getKv().getModRevision(), e.getKv().getKey().toStringUtf8(), e.getType() == Event.EventType.DELETE));
    }
    return out;
  }

  private static boolean matches(WatchCreateRequest req, String key) {
    String k = req.getKey().toStringUtf8();
    return req.getRangeEnd().isEmpty() ? k.equals(key) : key.startsWith(k);
  }

  private static List<Ev> expected(List<Ev> history, WatchCreateRequest req, long upTo) {
    return history.stream().filter(e -> e.rev >= req.getStartRevision() && e.rev <= upTo && matches(req, e.key))
        .toList();
  }

  private static void check(long seed, Stream s, List<Ev> history, long end) {
    Map<Long, List<Ev>> got = new TreeMap<>();
    Map<Long, Boolean> open = new HashMap<>();
    Map<Long, Long> compactedAt = new HashMap<>();
    Map<Long, Long> floor = new HashMap<>(); // per watch: the last progress revision while it was open
    boolean progressSeen = false;
    StringBuilder trace = new StringBuilder(); // the stream so far, for the failure message
    for (WatchResponse r : s.sink.received()) {
      long id = r.getWatchId();
      trace.append("\n").append(id).append(r.getCreated() ? " created" : "")
          .append(r.getCanceled() ? " canceled@" + r.getCompactRevision() : "").append(" h=")
          .append(r.getHeader().getRevision()).append(' ')
          .append(r.getEventsList().stream().map(e -> e.getKv().getModRevision()).toList());
      if (r.getCreated()) {
        assertThat(r.getCanceled()).as("seed %d: create refused: %s", seed, r).isFalse();
        open.put(id, true);
        got.put(id, new ArrayList<>());
        continue;
      }
      if (r.getCanceled()) {
        open.put(id, false);
        if (r.getCompactRevision() > 0) {
          compactedAt.put(id, r.getCompactRevision());
          assertThat(r.getCompactRevision()).as("seed %d watch %d compacted above its start", seed, id)
              .isGreaterThan(s.requests.get(id).getStartRevision());
        }
        continue;
      }
      if (id == -1) {
        long progress = r.getHeader().getRevision();
        progressSeen = true;
        for (Map.Entry<Long, Boolean> w : open.entrySet()) {
          if (w.getValue()) {
            floor.put(w.getKey(), progress);
            assertThat(got.get(w.getKey())).as("seed %d stream %d: watch %d at progress %d; stream:%s", seed,
                s.session.streamId, w.getKey(), progress, trace)
                .isEqualTo(expected(history, s.requests.get(w.getKey()), progress));
          }
        }
        continue;
      }
      assertThat(open.get(id)).as("seed %d: events for watch %d outside created..canceled", seed, id).isTrue();
      for (Event e : r.getEventsList()) {
        long rev = e.getKv().getModRevision();
        long progress = floor.getOrDefault(id, 0L);
        assertThat(rev).as("seed %d stream %d watch %d: event after progress %d; stream:%s", seed,
            s.session.streamId, id, progress, trace).isGreaterThan(progress);
        got.get(id).add(new Ev(rev, e.getKv().getKey().toStringUtf8(), e.getType() == Event.EventType.DELETE));
      }
    }
    assertThat(progressSeen).as("seed %d stream %d: the final progress request was answered", seed,
        s.session.streamId).isTrue();
    for (Map.Entry<Long, List<Ev>> w : got.entrySet()) {
      List<Ev> all = expected(history, s.requests.get(w.getKey()), end);
      if (open.get(w.getKey())) {
        assertThat(w.getValue()).as("seed %d watch %d: exactly its history", seed, w.getKey()).isEqualTo(all);
      } else {
        assertThat(w.getValue()).as("seed %d watch %d: a prefix of its history", seed, w.getKey())
            .isEqualTo(all.subList(0, Math.min(all.size(), w.getValue().size())));
      }
    }
  }
}
