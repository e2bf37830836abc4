package io.keel.watch;

import static io.keel.watch.HubFixture.b;
import static io.keel.watch.HubFixture.events;
import static io.keel.watch.HubFixture.prefix;
import static io.keel.watch.HubFixture.watch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keel.proto.etcdserverpb.CompactionRequest;
import io.keel.proto.etcdserverpb.DeleteRangeRequest;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.proto.etcdserverpb.WatchCreateRequest;
import io.keel.proto.etcdserverpb.WatchResponse;
import io.keel.proto.mvccpb.Event;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** etcd 3.4 watch semantics of the hub over a real store: create, cancel, history, filters, compaction. */
class WatchHubTest {
  @TempDir Path dir;
  HubFixture f;

  HubFixture fixture(WatchConfig c) {
    f = new HubFixture(dir, c);
    return f;
  }

  @AfterEach
  void close() {
    if (f != null) {
      f.close();
    }
  }

  static void awaitCount(CollectingSink sink, int n) {
    await().atMost(Duration.ofSeconds(30)).until(() -> sink.received().size() >= n);
  }

  @Test
  void createdThenEventsThenCanceled() {
    fixture(HubFixture.smallConfig());
    long r1 = f.put("x", "0");
    CollectingSink sink = new CollectingSink();
    Session s = f.hub.open(sink);
    f.hub.create(s, watch("a").build());
    awaitCount(sink, 1);
    WatchResponse created = sink.received().get(0);
    assertThat(created.getCreated()).isTrue();
    assertThat(created.getWatchId()).as("server-chosen ids start at 0 as etcd's").isZero();
    assertThat(created.getHeader().getRevision()).isEqualTo(r1);
    long r2 = f.put("a", "1");
    f.put("b", "1");
    awaitCount(sink, 2);
    WatchResponse ev = sink.received().get(1);
    assertThat(ev.getEventsList()).hasSize(1);
    assertThat(ev.getEvents(0).getKv().getValue()).isEqualTo(b("1"));
    assertThat(ev.getEvents(0).hasPrevKv()).as("no prev_kv unless asked").isFalse();
    assertThat(ev.getHeader().getRevision()).isEqualTo(r2);
    f.hub.cancel(s, 0);
    awaitCount(sink, 3);
    assertThat(sink.received().get(2).getCanceled()).isTrue();
    f.put("a", "2");
    f.hub.create(s, watch("zz").build()); // a later response proves the dispatcher passed the put
    awaitCount(sink, 4);
    assertThat(sink.forWatch(0)).hasSize(3);
    assertThat(sink.received().get(3).getWatchId()).as("etcd never reuses a server-chosen id").isEqualTo(1);
  }

  @Test
  void clientIdsDuplicatesAndEmptyRange() {
    fixture(HubFixture.smallConfig());
    CollectingSink sink = new CollectingSink();
    Session s = f.hub.open(sink);
    f.hub.create(s, watch("a").setWatchId(7).build());
    f.hub.create(s, watch("a").setWatchId(7).build());
    f.hub.create(s, watch("b").setRangeEnd(b("a")).build());
    f.hub.create(s, watch("c").build());
    awaitCount(sink, 4);
    List<WatchResponse> r = sink.received();
    assertThat(r.get(0).getWatchId()).isEqualTo(7);
    assertThat(r.get(1).getWatchId()).isEqualTo(-1);
    assertThat(r.get(1).getCanceled()).isTrue();
    assertThat(r.get(1).getCancelReason()).isEqualTo("mvcc: duplicate watch ID provided on the WatchStream");
    assertThat(r.get(2).getCancelReason()).isEqualTo("mvcc: watcher range is empty");
    assertThat(r.get(3).getWatchId()).isZero();
  }

  @Test
  void historyReplayPrevKvAndFilters() {
    fixture(HubFixture.smallConfig());
    long r1 = f.put("p/a", "1");
    f.put("p/b", "1");
    f.put("p/a", "2");
    f.store.deleteRange(DeleteRangeRequest.newBuilder().setKey(b("p/a")).build(), 0);
    f.put("q", "1");
    CollectingSink sink = new CollectingSink();
    Session s = f.hub.open(sink);
    f.hub.create(s, prefix("p/").setStartRevision(r1).setPrevKv(true).setWatchId(1).build());
    f.hub.create(s, prefix("p/").setStartRevision(r1).addFilters(WatchCreateRequest.FilterType.NOPUT)
        .setWatchId(2).build());
    f.hub.create(s, prefix("p/").setStartRevision(r1).addFilters(WatchCreateRequest.FilterType.NODELETE)
        .setWatchId(3).build());
    await().atMost(Duration.ofSeconds(30)).until(() -> events(sink, 1).size() == 4
        && events(sink, 2).size() == 1 && events(sink, 3).size() == 3);
    List<Event> all = events(sink, 1);
    assertThat(all).extracting(e -> e.getKv().getKey().toStringUtf8()).containsExactly("p/a", "p/b", "p/a", "p/a");
    assertThat(all).extracting(Event::getType)
        .containsExactly(Event.EventType.PUT, Event.EventType.PUT, Event.EventType.PUT, Event.EventType.DELETE);
    assertThat(all.get(2).getPrevKv().getValue()).isEqualTo(b("1"));
    assertThat(all.get(3).getPrevKv().getValue()).isEqualTo(b("2"));
    assertThat(events(sink, 2).get(0).getType()).isEqualTo(Event.EventType.DELETE);
    assertThat(events(sink, 2).get(0).hasPrevKv()).isFalse();
    assertThat(events(sink, 3)).allMatch(e -> e.getType() == Event.EventType.PUT);
  }

  @Test
  void livePrevKvIsReadOnDemandForWatchersThatAskedForIt() {
    fixture(HubFixture.smallConfig());
    f.put("p/a", "0");
    CollectingSink sink = new CollectingSink();
    Session s = f.hub.open(sink);
    f.hub.create(s, prefix("p/").setPrevKv(true).setWatchId(1).build());
    f.hub.create(s, prefix("p/").setWatchId(2).build());
    f.hub.create(s, prefix("p/").setPrevKv(true).setWatchId(3).build());
    awaitCount(sink, 3);
    f.put("p/a", "1"); // update: prev p/a=0
    f.put("p/b", "1"); // create: no prev
    f.store.deleteRange(DeleteRangeRequest.newBuilder().setKey(b("p/")).setRangeEnd(b("p0")).build(), 0);
    await().atMost(Duration.ofSeconds(30)).until(() -> events(sink, 1).size() == 4
        && events(sink, 2).size() == 4 && events(sink, 3).size() == 4);
    List<Event> withPrev = events(sink, 1);
    assertThat(withPrev.get(0).getPrevKv().getValue()).isEqualTo(b("0"));
    assertThat(withPrev.get(1).hasPrevKv()).as("a create has no previous value").isFalse();
    assertThat(withPrev.get(2).getPrevKv().getValue()).as("delete of p/a").isEqualTo(b("1"));
    assertThat(withPrev.get(3).getPrevKv().getKey()).as("delete of p/b").isEqualTo(b("p/b"));
    assertThat(withPrev.get(3).getPrevKv().getModRevision()).isEqualTo(withPrev.get(1).getKv().getModRevision());
    assertThat(events(sink, 3)).as("two prev_kv watchers see the same events").isEqualTo(withPrev);
    assertThat(events(sink, 2)).as("no prev_kv unless asked").noneMatch(Event::hasPrevKv)
        .isEqualTo(withPrev.stream().map(e -> e.toBuilder().clearPrevKv().build()).toList());
  }

  @Test
  void txnEventsOfOneRevisionArriveInOneResponse() {
    fixture(HubFixture.smallConfig());
    CollectingSink sink = new CollectingSink();
    Session s = f.hub.open(sink);
    f.hub.create(s, prefix("t/").build());
    awaitCount(sink, 1);
    TxnRequest.Builder t = TxnRequest.newBuilder();
    for (int i = 0; i < 5; i++) {
      t.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(b("t/" + i))
          .setValue(b("v"))));
    }
    f.store.txn(t.build(), 0);
    awaitCount(sink, 2);
    assertThat(sink.received().get(1).getEventsList()).hasSize(5);
  }

  @Test
  void fragmentsSplitALargeRevisionAtTheRequestLimit() {
    fixture(new WatchConfig(64, 1024, 64, 1 << 20, 50, 2, 600_000, 1000));
    CollectingSink sink = new CollectingSink();
    Session s = f.hub.open(sink);
    f.hub.create(s, prefix("f/").setFragment(true).setWatchId(1).build());
    f.hub.create(s, prefix("f/").setWatchId(2).build());
    awaitCount(sink, 2);
    TxnRequest.Builder t = TxnRequest.newBuilder();
    for (int i = 0; i < 10; i++) {
      t.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(b("f/" + i))
          .setValue(b("x".repeat(300)))));
    }
    f.store.txn(t.build(), 0);
    await().atMost(Duration.ofSeconds(30)).until(() -> events(sink, 1).size() == 10 && events(sink, 2).size() == 10);
    List<WatchResponse> frags = sink.forWatch(1).subList(1, sink.forWatch(1).size());
    assertThat(frags.size()).isGreaterThan(1);
    assertThat(frags.subList(0, frags.size() - 1)).allMatch(WatchResponse::getFragment);
    assertThat(frags.get(frags.size() - 1).getFragment()).isFalse();
    assertThat(frags).allMatch(r -> r.getEventsCount() == 1 || r.getSerializedSize() < 1000);
    assertThat(sink.forWatch(2)).hasSize(2).as("without fragment: one response");
    assertThat(events(sink, 1)).isEqualTo(events(sink, 2));
  }

  @Test
  void startBelowCompactionIsCreatedThenCanceledWithTheCompactRevision() {
    fixture(HubFixture.smallConfig());
    for (int i = 0; i < 5; i++) {
      f.put("k", "" + i);
    }
    f.store.compact(CompactionRequest.newBuilder().setRevision(4).build(), 0);
    CollectingSink sink = new CollectingSink();
    Session s = f.hub.open(sink);
    f.hub.create(s, watch("k").setStartRevision(2).build());
    f.hub.create(s, watch("k").setStartRevision(4).build());
    await().atMost(Duration.ofSeconds(30)).until(() -> sink.forWatch(0).size() == 2 && events(sink, 1).size() == 3);
    WatchResponse canceled = sink.forWatch(0).get(1);
    assertThat(sink.forWatch(0).get(0).getCreated()).isTrue();
    assertThat(canceled.getCanceled()).isTrue();
    assertThat(canceled.getCompactRevision()).isEqualTo(4);
    assertThat(events(sink, 1)).extracting(e -> e.getKv().getModRevision()).containsExactly(4L, 5L, 6L);
  }

  @Test
  void laggingWatcherOvertakenByCompactionIsCanceled() {
    fixture(HubFixture.smallConfig());
    CollectingSink sink = new CollectingSink();
    Session s = f.hub.open(sink);
    f.hub.create(s, watch("k").build());
    awaitCount(sink, 1);
    sink.setReady(false);
    long last = 0;
    // enough revisions to back the stream up (4 responses) even if the dispatcher batches them 32 to a response
    int puts = (HubFixture.smallConfig().maxPendingResponses() + 2) * WatchHub.BATCH_MAX_REVISIONS;
    for (int i = 0; i < puts; i++) {
      last = f.put("k", "" + i);
    }
    long l = last;
    await().atMost(Duration.ofSeconds(30)).until(() -> f.hub.watcherCounts()[1] == 1);
    f.store.compact(CompactionRequest.newBuilder().setRevision(l).build(), 0);
    sink.setReady(true);
    await().atMost(Duration.ofSeconds(30)).until(() -> sink.forWatch(0).stream().anyMatch(WatchResponse::getCanceled));
    List<WatchResponse> r = sink.forWatch(0);
    WatchResponse end = r.get(r.size() - 1);
    assertThat(end.getCompactRevision()).isEqualTo(l);
    List<Event> got = events(sink, 0);
    for (int i = 0; i < got.size(); i++) {
      assertThat(got.get(i).getKv().getValue()).as("a prefix of the history, in order").isEqualTo(b("" + i));
    }
    assertThat(f.hub.watcherCounts()).containsExactly(0, 0);
  }

  @Test
  void progressNotifyAndProgressRequest() {
    fixture(HubFixture.smallConfig().withProgressIntervalMs(100));
    long rev = f.put("a", "1");
    CollectingSink sink = new CollectingSink();
    Session s = f.hub.open(sink);
    f.hub.create(s, watch("a").setProgressNotify(true).build());
    f.hub.create(s, watch("b").build());
    await().atMost(Duration.ofSeconds(30)).until(() -> sink.forWatch(0).size() >= 3);
    assertThat(sink.forWatch(0).get(1).getEventsCount()).isZero();
    assertThat(sink.forWatch(0).get(1).getHeader().getRevision()).isEqualTo(rev);
    assertThat(sink.forWatch(1)).hasSize(1).as("no progress without progress_notify");
    f.hub.requestProgress(s);
    await().atMost(Duration.ofSeconds(30)).until(() -> sink.forWatch(-1).size() == 1);
    assertThat(sink.forWatch(-1).get(0).getHeader().getRevision()).isEqualTo(rev);
  }

  @Test
  void snapshotInstallResyncsWatchersFromTheStore() {
    fixture(HubFixture.smallConfig());
    CollectingSink sink = new CollectingSink();
    Session s = f.hub.open(sink);
    f.hub.create(s, prefix("r/").build());
    awaitCount(sink, 1);
    f.put("r/1", "a");
    f.store.removeListener(f.hub); // stands in for a snapshot install: no per-revision events for the gap
    f.put("r/2", "b");
    f.put("r/3", "c");
    f.store.addListener(f.hub);
    f.hub.onRestored(f.store.currentRevision(), f.store.compactRevision());
    f.put("r/4", "d");
    await().atMost(Duration.ofSeconds(30)).until(() -> events(sink, 0).size() == 4);
    assertThat(events(sink, 0)).extracting(e -> e.getKv().getKey().toStringUtf8())
        .containsExactly("r/1", "r/2", "r/3", "r/4");
  }

  @Test
  void streamCloseRemovesItsWatchers() {
    fixture(HubFixture.smallConfig());
    CollectingSink sink = new CollectingSink();
    Session s = f.hub.open(sink);
    for (int i = 0; i < 10; i++) {
      f.hub.create(s, prefix("c/").build());
    }
    awaitCount(sink, 10);
    f.hub.finish(s);
    await().atMost(Duration.ofSeconds(30)).until(() -> sink.closedWith != null);
    assertThat(sink.closedWith.isOk()).isTrue();
    await().atMost(Duration.ofSeconds(30)).until(() -> f.hub.watcherCounts()[0] == 0);
  }
}
