package io.keel.server.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.keel.kvstore.MvccStore;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lessor on a real store, with the Raft member replaced by its observable effects: who leads (flipped by the
 * test) and revoke proposals applied on one writer thread, as the Raft loop applies them.
 */
class LessorTest {
  static final long SELF = 1;
  @TempDir Path dir;
  MvccStore store;
  final ExecutorService writer = Executors.newSingleThreadExecutor();
  final AtomicLong index = new AtomicLong();
  final AtomicLong leaderId = new AtomicLong(SELF);
  final AtomicLong term = new AtomicLong(1);
  /** Lease id → System.nanoTime of each revoke proposal. */
  final Map<Long, List<Long>> proposedAt = new ConcurrentHashMap<>();
  Lessor lessor;

  @BeforeEach
  void open() {
    store = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false));
  }

  @AfterEach
  void close() throws Exception {
    if (lessor != null) {
      lessor.close();
    }
    writer.shutdown();
    writer.awaitTermination(10, TimeUnit.SECONDS);
    store.close();
  }

  Lessor start(Lessor.Settings settings, boolean applyRevokes) {
    Lessor.RevokeProposer revoke = (id, leaderTerm) -> {
      assertThat(leaderTerm).as("a revoke is bound to the term this member leads in").isEqualTo(term.get());
      proposedAt.computeIfAbsent(id, k -> Collections.synchronizedList(new ArrayList<>())).add(System.nanoTime());
      if (!applyRevokes) {
        return new CompletableFuture<>(); // never applied (a slow or lost proposal)
      }
      return CompletableFuture.runAsync(() -> store.leaseRevoke(id, index.incrementAndGet()), writer);
    };
    lessor = new Lessor(store.leases(), SELF, leaderId::get, term::get, revoke, settings, new SimpleMeterRegistry());
    return lessor;
  }

  void onWriter(Runnable r) throws Exception {
    CompletableFuture.runAsync(r, writer).get(10, TimeUnit.SECONDS);
  }

  void grant(long id, long ttl, String... keys) throws Exception {
    onWriter(() -> {
      store.leaseGrant(id, ttl, index.incrementAndGet());
      for (String k : keys) {
        store.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(k)).setValue(ByteString.copyFromUtf8("v"))
            .setLease(id).build(), index.incrementAndGet());
      }
    });
  }

  @Test
  void expiredLeasesAreRevokedAtTheConfiguredRateNeverBeforeTheirTtl() throws Exception {
    // a retry interval far beyond any stall of a loaded machine: this test is about the rate and the TTL, and a
    // revoke not applied within the retry interval is proposed again by design (renewalsKeepALease... covers that)
    start(new Lessor.Settings(200, 20, 100, 60_000, 1000), true);
    assertThat(lessor.isPrimary()).isTrue();
    long grantedAt = System.nanoTime();
    for (long id = 1; id <= 150; id++) {
      grant(id, 1, "k" + id);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> store.leases().size() == 0);
    List<Long> times = new ArrayList<>();
    proposedAt.values().forEach(times::addAll);
    Collections.sort(times);
    assertThat(times).hasSize(150); // each once: none re-proposed within the retry interval
    assertThat(times.get(0) - grantedAt).as("first revoke after the TTL").isGreaterThanOrEqualTo(1_000_000_000L);
    for (int i = 0; i < times.size(); i++) {
      int j = i;
      while (j < times.size() && times.get(j) - times.get(i) < 1_000_000_000L) {
        j++;
      }
      assertThat(j - i).as("revokes within one second from #%d", i).isLessThanOrEqualTo(100 + 2);
    }
    assertThat(store.range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("k"))
        .setRangeEnd(ByteString.copyFromUtf8("l")).build()).getCount()).isZero();
    assertThat(lessor.trackedCount()).isZero();
  }

  @Test
  void renewalsKeepALeaseAndAnExpiredOneAnswersZeroUntilRevoked() throws Exception {
    leaderId.set(2); // granted as a follower, so a slow grant on a loaded machine does not eat into the TTL
    start(new Lessor.Settings(200, 20, 1000, 400, 1000), false);
    grant(7, 2, "a");
    leaderId.set(SELF);
    long start = System.nanoTime();
    while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(5000)) {
      assertThat(lessor.renew(7)).isEqualTo(2);
      Thread.sleep(200);
    }
    assertThat(proposedAt).isEmpty();
    await().atMost(Duration.ofSeconds(30)).until(() -> proposedAt.containsKey(7L));
    assertThat(lessor.renew(7)).as("expired: its revoke is on the way").isZero();
    assertThat(lessor.remainingSeconds(7)).isZero();
    await().atMost(Duration.ofSeconds(30)).until(() -> proposedAt.get(7L).size() >= 2); // retried after 400 ms
    assertThat(lessor.renew(99)).as("unknown lease").isZero();
    assertThat(lessor.remainingSeconds(99)).isEqualTo(-1);
  }

  @Test
  void onlyTheLeaderTracksAndPromotionGivesFullTtlPlusAnElectionTimeout() throws Exception {
    leaderId.set(2);
    start(new Lessor.Settings(1500, 20, 1000, 3000, 1000), true);
    grant(5, 5, "a");
    assertThat(lessor.isPrimary()).isFalse();
    assertThat(lessor.trackedCount()).isZero();
    assertThatThrownBy(() -> lessor.renew(5)).isInstanceOf(Lessor.NotPrimaryException.class);
    assertThatThrownBy(() -> lessor.remainingSeconds(5)).isInstanceOf(Lessor.NotPrimaryException.class);
    leaderId.set(SELF);
    term.set(2);
    assertThat(lessor.remainingSeconds(5)).as("5 s TTL + 1.5 s election timeout").isEqualTo(6);
    grant(6, 3);
    assertThat(lessor.remainingSeconds(6)).as("granted while leading: just its TTL").isBetween(2L, 3L);
    assertThat(lessor.trackedCount()).isEqualTo(2);
    leaderId.set(0);
    assertThat(lessor.isPrimary()).isFalse();
    assertThat(lessor.trackedCount()).isZero();
    Thread.sleep(3500); // longer than lease 6's TTL: a non-leader never expires anything
    assertThat(proposedAt).isEmpty();
    leaderId.set(SELF);
    term.set(4);
    assertThat(lessor.remainingSeconds(6)).isEqualTo(4);
  }

  /**
   * Safety over seeds: with random renewals and random leadership changes, no lease is ever proposed for revoke
   * earlier than TTL after a renewal it answered, nor earlier than TTL + election timeout after this member last
   * became leader.
   */
  @Test
  void neverRevokesEarlyUnderRandomRenewalsAndLeaderChanges() throws Exception {
    long electionMs = 300;
    for (long seed = 1; seed <= 4; seed++) {
      final long sd = seed;
      proposedAt.clear();
      Random rnd = new Random(seed);
      leaderId.set(2); // grants first, as a follower: every lease exists before any promotion
      term.incrementAndGet();
      start(new Lessor.Settings(electionMs, 10, 1000, 3000, 1000), true);
      long base = 1000 * seed;
      Map<Long, List<Long>> renewedAt = new ConcurrentHashMap<>();
      for (long id = base; id < base + 20; id++) {
        grant(id, 1);
        renewedAt.put(id, Collections.synchronizedList(new ArrayList<>()));
      }
      List<Long> becameLeader = Collections.synchronizedList(new ArrayList<>());
      becameLeader.add(System.nanoTime());
      leaderId.set(SELF);
      long startNanos = System.nanoTime();
      long end = startNanos + TimeUnit.MILLISECONDS.toNanos(3200);
      while (System.nanoTime() < end) {
        // the first 1.6 s lead without change (so the never-renewed half expires), then leadership flips at random
        boolean flipsAllowed = System.nanoTime() - startNanos > TimeUnit.MILLISECONDS.toNanos(1600);
        if (flipsAllowed && rnd.nextInt(25) == 0) {
          if (leaderId.get() == SELF) {
            leaderId.set(2);
          } else {
            term.incrementAndGet();
            becameLeader.add(System.nanoTime());
            leaderId.set(SELF);
          }
        }
        long id = base + rnd.nextInt(rnd.nextBoolean() ? 10 : 20); // ids below base + 10 are renewed more often
        long before = System.nanoTime();
        try {
          if (lessor.renew(id) > 0) {
            renewedAt.get(id).add(before);
          }
        } catch (Lessor.NotPrimaryException e) {
          // a follower does not renew
        }
        Thread.sleep(rnd.nextInt(40));
      }
      leaderId.set(2); // stop revoking before checking
      lessor.isPrimary();
      assertThat(proposedAt).as("seed %d: some leases expired", seed).isNotEmpty();
      for (Map.Entry<Long, List<Long>> e : proposedAt.entrySet()) {
        for (long at : List.copyOf(e.getValue())) {
          long lastUp = List.copyOf(becameLeader).stream().filter(b -> b <= at).max(Long::compare).orElseThrow();
          assertThat(at - lastUp).as("seed %d lease %d: after promotion", seed, e.getKey())
              .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(1000 + electionMs));
          List<Long> renewals = List.copyOf(renewedAt.getOrDefault(e.getKey(), List.of())); // earlier seeds' too
          renewals.stream().filter(r -> r <= at).max(Long::compare).ifPresent(r ->
              assertThat(at - r).as("seed %d lease %d: after renewal", sd, e.getKey())
                  .isGreaterThanOrEqualTo(TimeUnit.SECONDS.toNanos(1)));
        }
      }
      lessor.close();
      lessor = null;
    }
  }
}
