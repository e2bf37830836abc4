package io.keel.server.it;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keel issue 5 acceptance, jetcd part: etcd's Java client (io.etcd:jetcd-core) watches a prefix on Keel and
 * sees every put/delete/txn event in order with its type, key, value, revisions and prev kv; a watch resumed
 * from a past revision replays exactly the later events; a watch from a compacted revision fails with
 * jetcd's {@link CompactedException} carrying the compact revision. The same checks run first on real etcd
 * 3.4, so the expectations are etcd's behaviour, not guesses. Every wait is bounded.
 */
class JetcdWatchIT {
  private static final long WAIT_SECONDS = 15;
  private static final int MAX_EVENTS = 1_000;

  @Test
  void jetcdWatchBehavesOnKeelAsOnRealEtcd() throws Exception {
    ServerFlags config = ServerFlags.named("jetcd");
    try (EtcdProcess etcd = EtcdProcess.started(config)) {
      checkWatch(etcd);
      etcd.stop();
    }
    try (KeelProcess keel = KeelProcess.started(config)) {
      checkWatch(keel);
      keel.stop();
    }
  }

  private static void checkWatch(ServerProcess server) throws Exception {
    try (Client client = Client.builder().endpoints(server.clientUrl()).build()) {
      KV kv = client.getKVClient();
      Watch watch = client.getWatchClient();
      put(kv, "p/a", "1");                                       // rev 2
      put(kv, "p/b", "1");                                       // rev 3

      // from revision 4 on, so the result does not depend on when the watch is created
      Collector live = new Collector();
      try (Watch.Watcher ignored = watch.watch(bytes("p/"), prefixFrom(4), live.listener())) {
        put(kv, "p/a", "2");                                     // 4
        put(kv, "q", "outside");                                 // 5, not under p/
        put(kv, "p/c", "3");                                     // 6
        kv.delete(bytes("p/b")).get(WAIT_SECONDS, TimeUnit.SECONDS);  // 7
        var txn = kv.txn()
            .If(new Cmp(bytes("p/a"), Cmp.Op.EQUAL, CmpTarget.value(bytes("2"))))
            .Then(Op.put(bytes("p/a"), bytes("3"), PutOption.DEFAULT),
                Op.put(bytes("p/d"), bytes("4"), PutOption.DEFAULT))
            .commit().get(WAIT_SECONDS, TimeUnit.SECONDS);        // 8, two events in one revision
        assertThat(txn.isSucceeded()).isTrue();

        List<WatchEvent> events = live.take(5, server);
        assertThat(describe(events)).as(server.kind()).containsExactly(
            "PUT p/a=2 create=2 mod=4 ver=2 prev[p/a=1 mod=2]",
            "PUT p/c=3 create=6 mod=6 ver=1 prev[]",
            "DELETE p/b= create=0 mod=7 ver=0 prev[p/b=1 mod=3]",
            "PUT p/a=3 create=2 mod=8 ver=3 prev[p/a=2 mod=4]",
            "PUT p/d=4 create=8 mod=8 ver=1 prev[]");
        assertThat(live.errors).as(server.kind() + ": watch errors").isEmpty();
      }

      // resume: a new watch from revision 6 replays exactly the events at 6, 7 and 8
      Collector resumed = new Collector();
      try (Watch.Watcher ignored = watch.watch(bytes("p/"), prefixFrom(6), resumed.listener())) {
        assertThat(describe(resumed.take(4, server))).as(server.kind() + ": resumed").containsExactly(
            "PUT p/c=3 create=6 mod=6 ver=1 prev[]",
            "DELETE p/b= create=0 mod=7 ver=0 prev[p/b=1 mod=3]",
            "PUT p/a=3 create=2 mod=8 ver=3 prev[p/a=2 mod=4]",
            "PUT p/d=4 create=8 mod=8 ver=1 prev[]");
        put(kv, "p/e", "5");                                     // 9, live after the replay
        assertThat(describe(resumed.take(1, server))).containsExactly("PUT p/e=5 create=9 mod=9 ver=1 prev[]");
      }

      // a watch from a compacted revision is refused with the compact revision
      kv.compact(7).get(WAIT_SECONDS, TimeUnit.SECONDS);
      Collector compacted = new Collector();
      try (Watch.Watcher ignored = watch.watch(bytes("p/"), prefixFrom(3), compacted.listener())) {
        Throwable error = compacted.errors.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(error).as(server.kind() + ": error of a watch at a compacted revision")
            .isInstanceOf(CompactedException.class);
        assertThat(((CompactedException) error).getCompactedRevision()).isEqualTo(7);
        assertThat(compacted.events).as(server.kind() + ": no events from a compacted watch").isEmpty();
      }
    }
  }

  private static WatchOption prefixFrom(long revision) {
    return WatchOption.builder().isPrefix(true).withPrevKV(true).withRevision(revision).build();
  }

  private static void put(KV kv, String key, String value) throws Exception {
    kv.put(bytes(key), bytes(value)).get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  private static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }

  private static List<String> describe(List<WatchEvent> events) {
    Function<KeyValue, String> text = kv -> kv.getKey().toString(StandardCharsets.UTF_8) + "="
        + kv.getValue().toString(StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    for (WatchEvent e : events) {
      KeyValue kv = e.getKeyValue();
      KeyValue prev = e.getPrevKV();
      String prevText = prev == null || prev.getKey().isEmpty() ? "" : text.apply(prev) + " mod=" + prev.getModRevision();
      out.add(e.getEventType() + " " + text.apply(kv) + " create=" + kv.getCreateRevision() + " mod="
          + kv.getModRevision() + " ver=" + kv.getVersion() + " prev[" + prevText + "]");
    }
    return out;
  }

  /** Bounded queues fed by jetcd's callback threads. */
  private static final class Collector {
    final BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>(MAX_EVENTS);
    final BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>(MAX_EVENTS);

    Watch.Listener listener() {
      return Watch.listener(response -> response.getEvents().forEach(events::offer), errors::offer);
    }

    /** Exactly the next {@code count} events, waiting at most {@link #WAIT_SECONDS} for each. */
    List<WatchEvent> take(int count, ServerProcess server) throws InterruptedException {
      List<WatchEvent> taken = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        WatchEvent event = events.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(event).as(server.kind() + ": event " + (i + 1) + " of " + count + " (got " + describe(taken)
            + ", errors " + errors + ")").isNotNull();
        taken.add(event);
      }
      return taken;
    }
  }
}
