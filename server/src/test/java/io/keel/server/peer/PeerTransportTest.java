package io.keel.server.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two transports on real loopback sockets. */
class PeerTransportTest {
  static final long CLUSTER = 0xC1;
  static final PeerLimits LIMITS = new PeerLimits(1024, 64, 1 << 20, 1 << 20, 20, 200, 5000);

  final ConcurrentLinkedQueue<long[]> receivedByB = new ConcurrentLinkedQueue<>();
  final AtomicInteger unreachableFromA = new AtomicInteger();
  /** While positive, B's receiver takes 100 ms per message (a busy peer: alive, but slow to read). */
  final AtomicInteger slowMessagesAtB = new AtomicInteger();
  final ConcurrentLinkedQueue<Long> removedReportsToA = new ConcurrentLinkedQueue<>();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  PeerTransport a;
  PeerTransport b;
  Server serverB;

  @AfterEach
  void stop() {
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
    if (serverB != null) {
      serverB.shutdownNow();
    }
  }

  static int freePort() throws IOException {
    return io.keel.server.TestPorts.free();
  }

  static byte[] msg(long n) {
    return ByteBuffer.allocate(8).putLong(n).array();
  }

  static byte[] msg(long n, int sizeBytes) {
    return ByteBuffer.allocate(sizeBytes).putLong(n).array();
  }

  static void sleepMs(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  void startB(long clusterId, int port) throws IOException {
    startB(clusterId, 2, port);
  }

  void startB(long clusterId, long localId, int port) throws IOException {
    b = new PeerTransport(clusterId, localId, LIMITS, (from, m) -> {
      if (slowMessagesAtB.getAndDecrement() > 0) {
        sleepMs(100);
      }
      return receivedByB.add(new long[] {from, ByteBuffer.wrap(m).getLong()});
    }, id -> { }, registry);
    serverB = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
        .maxInboundMessageSize(b.maxInboundBytes()).addService(b.service()).build().start();
  }

  void startA(int portOfB) {
    a = new PeerTransport(CLUSTER, 1, LIMITS, (from, m) -> true, id -> unreachableFromA.incrementAndGet(),
        registry);
    a.onRemovedByPeer(removedReportsToA::add);
    a.addPeer(2, URI.create("http://127.0.0.1:" + portOfB));
  }

  @Test
  void deliversInOrderWithBatching() throws IOException {
    int port = freePort();
    startB(CLUSTER, port);
    startA(port);
    int n = 20_000;
    int sent = 0;
    for (long i = 0; i < n; i++) {
      while (!a.send(2, msg(i))) {
        Thread.onSpinWait(); // the queue is bounded: back off until the sender drains it
      }
      sent++;
    }
    assertThat(sent).isEqualTo(n);
    await().atMost(Duration.ofSeconds(20)).until(() -> receivedByB.size() >= n - dropped());
    long prev = -1;
    for (long[] r : List.copyOf(receivedByB)) {
      assertThat(r[0]).isEqualTo(1);
      assertThat(r[1]).isGreaterThan(prev); // ordered, never duplicated (drops leave gaps only)
      prev = r[1];
    }
    assertThat(registry.get("keel.peer.sent.batches").counter().count()).isLessThan(n);
  }

  @Test
  void sendNowWritesInlineAndKeepsOrderWithQueuedMessages() throws IOException {
    int port = freePort();
    startB(CLUSTER, port);
    startA(port);
    int n = 20_000;
    assertThat(a.send(2, msg(0))).isTrue(); // the sender thread opens the stream; inline writes need it open
    await().atMost(Duration.ofSeconds(20)).until(() -> !receivedByB.isEmpty());
    long next = 1;
    while (next < n) {
      if (next % 7 == 0) {
        if (a.send(2, msg(next))) { // the queued path, interleaved with the inline one
          next++;
        }
        continue;
      }
      int k = (int) Math.min(1 + next % 5, n - next);
      List<byte[]> group = new java.util.ArrayList<>();
      for (int j = 0; j < k; j++) {
        group.add(msg(next + j));
      }
      assertThat(a.sendNow(2, group)).isBetween(0, k); // a full queue drops (and counts) the rest: gaps only
      next += k;
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> receivedByB.size() >= n - dropped());
    long[] extra = {n};
    await().atMost(Duration.ofSeconds(20)).until(() -> { // once the backlog is written, sends go inline
      a.sendNow(2, List.of(msg(extra[0]++)));
      return registry.get("keel.peer.sent.inline.batches").counter().count() > 0;
    });
    await().atMost(Duration.ofSeconds(20)).until(() -> receivedByB.size() >= extra[0] - dropped());
    long prev = -1;
    for (long[] r : List.copyOf(receivedByB)) {
      assertThat(r[1]).isGreaterThan(prev);
      prev = r[1];
    }
    assertThat(a.sendNow(99, List.of(msg(1)))).isZero(); // unknown peer
  }

  double dropped() {
    return registry.find("keel.peer.dropped").counters().stream().mapToDouble(c -> c.count()).sum();
  }

  /**
   * A peer that is alive but slow to read (flow control holds the stream for seconds) gets every message, late:
   * only a broken stream or a full queue drops messages. Dropping on congestion lost followers' forwarded
   * proposals under load, and their clients waited out the request timeout.
   */
  @Test
  void aSlowButLivePeerLosesNothing() throws IOException {
    int port = freePort();
    startB(CLUSTER, port);
    startA(port);
    a.send(2, msg(-1));
    await().atMost(Duration.ofSeconds(30)).until(() -> receivedByB.size() == 1);
    slowMessagesAtB.set(20); // ~2 s during which B reads 10 messages a second
    int n = 300;
    for (long i = 0; i < n; i++) {
      assertThat(a.send(2, msg(i, 16 * 1024))).isTrue(); // 4.8 MB: far more than the stream's windows hold
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> receivedByB.size() == n + 1);
    assertThat(receivedByB.stream().skip(1).mapToLong(r -> r[1])).containsExactlyElementsOf(
        java.util.stream.LongStream.range(0, n).boxed().toList());
    assertThat(dropped()).isZero();
    assertThat(unreachableFromA.get()).isZero();
  }

  @Test
  void deadPeerNeverBlocksTheSenderAndReconnectLater() throws IOException {
    int port = freePort();
    startA(port); // nobody listens yet
    long start = System.nanoTime();
    for (long i = 0; i < 5_000; i++) {
      a.send(2, msg(i)); // bounded queue: returns at once, full or not
    }
    // blocking on the dead peer would cost seconds per message; 5 s leaves room for a stalled CI machine
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    await().atMost(Duration.ofSeconds(30)).until(() -> unreachableFromA.get() > 0 && dropped() > 0);

    startB(CLUSTER, port);
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      a.send(2, msg(1_000_000));
      return receivedByB.stream().anyMatch(r -> r[1] == 1_000_000);
    });
  }

  /**
   * gRPC's channel backs off its own reconnects (up to 2 min) while a peer is down; the sender's shorter backoff
   * must reach a peer that comes back after a long outage soon after, not when the channel's timer fires.
   */
  @Test
  void aPeerDownForLongIsReachedSoonAfterItComesBack() throws IOException {
    int port = freePort();
    startA(port); // nobody listens for 10 s: the channel's reconnect backoff grows past 6 s
    long downUntil = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    for (long i = 0; System.nanoTime() - downUntil < 0; i++) {
      a.send(2, msg(i));
      sleepMs(50);
    }
    startB(CLUSTER, port);
    long upAt = System.nanoTime();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
      a.send(2, msg(1_000_000));
      return receivedByB.stream().anyMatch(r -> r[1] == 1_000_000);
    });
    // measured: 0.4-0.5 s; 4.6-6.7 s when gRPC's own backoff decided (the bound leaves room for a stalled machine)
    assertThat(Duration.ofNanos(System.nanoTime() - upAt)).as("reached after it came back")
        .isLessThan(Duration.ofSeconds(4));
  }

  @Test
  void refusesAStreamFromAnotherCluster() throws IOException {
    int port = freePort();
    startB(0xBAD, port);
    startA(port);
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      a.send(2, msg(7));
      return registry.get("keel.peer.rejected.streams").counter().count() >= 1;
    });
    assertThat(receivedByB).isEmpty();
    assertThat(removedReportsToA).as("another cluster's refusal is not a removal").isEmpty();
  }

  @Test
  void aRemovedMembersMessagesNeverReachRaftAndItIsToldOnce() throws IOException {
    int port = freePort();
    startB(CLUSTER, port);
    b.removedMembers(List.of(1L));
    startA(port);
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      a.send(2, msg(7));
      return !removedReportsToA.isEmpty();
    });
    for (long i = 0; i < 50; i++) { // it keeps sending (and reconnecting) until it stops: still refused, told once
      a.send(2, msg(i));
    }
    await().atMost(Duration.ofSeconds(30))
        .until(() -> registry.get("keel.peer.refused.removed").counter().count() >= 2);
    assertThat(receivedByB).isEmpty();
    assertThat(removedReportsToA).containsExactly(2L);
  }

  @Test
  void anIdleRemovedMemberIsToldToo() throws IOException {
    int port = freePort();
    startB(CLUSTER, port);
    b.removedMembers(List.of(1L));
    startA(port); // sends nothing: its sender's hello is enough
    await().atMost(Duration.ofSeconds(30)).until(() -> !removedReportsToA.isEmpty());
    assertThat(removedReportsToA).containsExactly(2L);
  }

  @Test
  void anOpenIdleStreamIsCutWhenItsSenderIsRemoved() throws IOException {
    int port = freePort();
    startB(CLUSTER, port);
    startA(port);
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      a.send(2, msg(1));
      return !receivedByB.isEmpty();
    });
    // nothing in flight: everything A wrote has arrived, and it stays so (A's queue is empty)
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(30)).until(() ->
        receivedByB.size() == (int) registry.get("keel.peer.sent.messages").counter().count());
    int received = receivedByB.size();
    b.removedMembers(List.of(5L)); // someone else: the stream stays
    b.removedMembers(List.of(5L, 1L)); // A sends nothing more: only cutting its open stream tells it
    await().atMost(Duration.ofSeconds(30)).until(() -> !removedReportsToA.isEmpty());
    assertThat(removedReportsToA).containsExactly(2L);
    assertThat(receivedByB).hasSize(received);
    assertThat(registry.get("keel.peer.refused.removed").counter().count()).isGreaterThanOrEqualTo(1); // + re-hellos
  }

  @Test
  void onlyARemovalIsReportedAsOne() throws IOException, InterruptedException {
    int port = freePort();
    // a member removed in another cluster: that cluster's refusal is a mismatch, not a removal
    startB(0xBAD, port);
    b.removedMembers(List.of(1L));
    startA(port);
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      a.send(2, msg(1));
      return registry.get("keel.peer.rejected.streams").counter().count() >= 2;
    });
    b.close();
    serverB.shutdownNow().awaitTermination();

    // the peer at that address is another member (3, not 2): refused as a mismatch
    startB(CLUSTER, 3, port);
    double rejected = registry.get("keel.peer.rejected.streams").counter().count();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      a.send(2, msg(2));
      return registry.get("keel.peer.rejected.streams").counter().count() > rejected;
    });
    b.close();
    serverB.shutdownNow().awaitTermination();

    // the peer is down: unreachable
    int before = unreachableFromA.get();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      a.send(2, msg(3));
      return unreachableFromA.get() > before;
    });

    // the peer removed someone else: delivered
    startB(CLUSTER, port);
    b.removedMembers(List.of(5L));
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      a.send(2, msg(4));
      return receivedByB.stream().anyMatch(r -> r[1] == 4);
    });
    assertThat(removedReportsToA).isEmpty();
    assertThat(registry.get("keel.peer.refused.removed").counter().count()).isZero();
  }

  @Test
  void oversizeMessageIsAProgrammingError() throws IOException {
    startA(freePort());
    assertThatThrownBy(() -> a.send(2, new byte[(1 << 20) + 1])).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxMessageBytes");
    assertThat(a.send(99, msg(1))).isFalse(); // unknown peer
  }
}
