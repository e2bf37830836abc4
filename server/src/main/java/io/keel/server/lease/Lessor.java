package io.keel.server.lease;

import io.keel.kvstore.LeaseTable;
import io.keel.server.DaemonThreads;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd's lessor, leader side: which leases expire when. Only the leader ("primary") tracks expiry; other members
 * keep the replicated {@link LeaseTable} and nothing else. On becoming leader it gives every lease its full TTL
 * plus an election timeout (etcd's promote), so a leader change never expires a lease early; renewals
 * (keep-alives) only move a lease's deadline here. Expired leases are revoked by Raft proposals, at most
 * {@code revokesPerSecond}, each re-checked after {@code retryMs} if its revoke has not applied by then.
 *
 * <p>Threading: the expiry map is concurrent (renewals from gRPC threads); the deadline heap and role changes are
 * guarded by this object's monitor (short, never across a blocking call); the store's writer thread reports
 * grants/revokes; one timer thread checks roles and expiries every {@code tickMs}.
 */
public final class Lessor implements LeaseTable.Listener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Lessor.class);

  /** Timing and bounds; etcd revokes at most 1000 expired leases per second. */
  public record Settings(long electionTimeoutMs, long tickMs, int revokesPerSecond, long retryMs,
      int maxRevokesInFlight) {
    public Settings {
      if (electionTimeoutMs <= 0 || tickMs <= 0 || revokesPerSecond <= 0 || retryMs <= 0 || maxRevokesInFlight <= 0) {
        throw new IllegalArgumentException("lessor settings must be positive: " + this);
      }
    }

    public static Settings of(long electionTimeoutMs) {
      return new Settings(electionTimeoutMs, 50, 1000, 3000, 1000);
    }
  }

  /**
   * Proposes the revoke of an expired lease, to be committed only while this member still leads in
   * {@code leaderTerm} (a paused old leader that resumes must not get its stale verdict committed by the new one).
   */
  @FunctionalInterface
  public interface RevokeProposer {
    CompletableFuture<?> propose(long leaseId, long leaderTerm);
  }

  private final LeaseTable table;
  private final long memberId;
  private final LongSupplier leaderId;
  private final LongSupplier term;
  private final RevokeProposer proposeRevoke;
  private final Settings settings;
  /** Lease id → deadline (System.nanoTime) while primary; empty otherwise. */
  private final Map<Long, Long> deadlines = new ConcurrentHashMap<>();
  /** (deadline, id) pairs, possibly stale (renewals do not touch it): checked against {@link #deadlines}. */
  private final PriorityQueue<long[]> heap = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
  private final AtomicInteger revokesInFlight = new AtomicInteger();
  private final ScheduledExecutorService timer;
  private final Counter granted;
  private final Counter revoked;
  private final Counter expired;
  private final Counter keepalives;
  /** The term this member leads in with expiry tracked, or 0 when not primary. */
  private volatile long primaryTerm;

  public Lessor(LeaseTable table, long memberId, LongSupplier leaderId, LongSupplier term,
      RevokeProposer proposeRevoke, Settings settings, MeterRegistry registry) {
    this.table = table;
    this.memberId = memberId;
    this.leaderId = leaderId;
    this.term = term;
    this.proposeRevoke = proposeRevoke;
    this.settings = settings;
    this.granted = Counter.builder("keel.lease.granted").description("leases granted (applied)").register(registry);
    this.revoked = Counter.builder("keel.lease.revoked").description("leases revoked (applied)").register(registry);
    this.expired = Counter.builder("keel.lease.expired").description("expired leases this leader revoked")
        .register(registry);
    this.keepalives = Counter.builder("keel.lease.keepalives").description("lease renewals on this leader")
        .register(registry);
    Gauge.builder("keel.lease.count", table, LeaseTable::size).description("leases granted and not revoked")
        .register(registry);
    Gauge.builder("keel.lease.primary", this, l -> l.primaryTerm != 0 ? 1 : 0)
        .description("1 while this member tracks lease expiry (leader)").register(registry);
    table.addListener(this);
    this.timer = Executors.newSingleThreadScheduledExecutor(
        DaemonThreads.named("keel-lessor-" + Long.toHexString(memberId)));
    timer.scheduleWithFixedDelay(this::tick, settings.tickMs(), settings.tickMs(), TimeUnit.MILLISECONDS);
  }

  /** True while this member is the leader with expiry tracked; promotes or demotes first if the role changed. */
  public synchronized boolean isPrimary() {
    long t = term.getAsLong();
    boolean leader = leaderId.getAsLong() == memberId;
    if (leader && primaryTerm != t) {
      promote(t);
    } else if (!leader && primaryTerm != 0) {
      demote();
    }
    return primaryTerm != 0;
  }

  private void promote(long t) {
    long extendNanos = TimeUnit.MILLISECONDS.toNanos(settings.electionTimeoutMs());
    deadlines.clear();
    heap.clear();
    primaryTerm = t;
    long now = System.nanoTime();
    List<LeaseTable.Lease> all = table.all();
    for (LeaseTable.Lease l : all) {
      track(l.id(), now + TimeUnit.SECONDS.toNanos(l.ttlSeconds()) + extendNanos);
    }
    LOG.info("lessor: this member leads (term {}); {} leases get their full TTL + {} ms", t, all.size(),
        settings.electionTimeoutMs());
  }

  private void demote() {
    LOG.info("lessor: this member no longer leads; expiry is the new leader's");
    primaryTerm = 0;
    deadlines.clear();
    heap.clear();
  }

  private void track(long id, long deadline) {
    deadlines.put(id, deadline);
    heap.add(new long[] {deadline, id});
  }

  /**
   * The store's content was replaced (a Raft snapshot was installed): the lease table was reloaded, so a primary
   * tracks the new set afresh (full TTL + election timeout, as after a promotion).
   */
  public synchronized void onStoreRestored() {
    if (primaryTerm != 0) {
      promote(primaryTerm);
    }
  }

  @Override
  public synchronized void onGranted(long leaseId, long ttlSeconds) {
    granted.increment();
    if (primaryTerm != 0) {
      track(leaseId, System.nanoTime() + TimeUnit.SECONDS.toNanos(ttlSeconds));
    }
  }

  @Override
  public void onRevoked(long leaseId) {
    revoked.increment();
    deadlines.remove(leaseId); // its heap entry is dropped when it comes up
  }

  /**
   * Renews a lease on the primary: its deadline becomes now + TTL. Returns the TTL in seconds, or 0 if there is no
   * such lease or it has already expired (etcd answers a keep-alive for an unknown lease with TTL 0). Throws
   * {@link NotPrimaryException} when this member is not the leader.
   */
  public long renew(long leaseId) {
    if (!isPrimary()) {
      throw new NotPrimaryException();
    }
    LeaseTable.Lease l = table.get(leaseId);
    if (l == null) {
      return 0;
    }
    long now = System.nanoTime();
    Long renewed = deadlines.computeIfPresent(leaseId,
        (id, d) -> d - now <= 0 ? d : now + TimeUnit.SECONDS.toNanos(l.ttlSeconds()));
    if (renewed == null || renewed - now <= 0) {
      return 0; // expired: its revoke is on the way
    }
    keepalives.increment();
    return l.ttlSeconds();
  }

  /**
   * Remaining whole seconds of a lease on the primary (etcd truncates), at least 0; -1 if no such lease. Throws
   * {@link NotPrimaryException} when this member is not the leader.
   */
  public long remainingSeconds(long leaseId) {
    if (!isPrimary()) {
      throw new NotPrimaryException();
    }
    if (!table.exists(leaseId)) {
      return -1;
    }
    Long d = deadlines.get(leaseId);
    if (d == null) {
      return table.exists(leaseId) ? table.get(leaseId).ttlSeconds() : -1; // granted this instant
    }
    return Math.max(0, TimeUnit.NANOSECONDS.toSeconds(d - System.nanoTime()));
  }

  /** One timer turn: role check, then revoke what expired, within this tick's budget. */
  private void tick() {
    try {
      if (!isPrimary()) {
        return;
      }
      long leaderTerm = primaryTerm;
      for (long id : expiredBatch()) {
        revokesInFlight.incrementAndGet();
        CompletableFuture<?> f;
        try {
          f = proposeRevoke.propose(id, leaderTerm);
        } catch (RuntimeException e) {
          f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((ok, err) -> {
          revokesInFlight.decrementAndGet();
          if (err == null) {
            expired.increment();
          } else {
            LOG.debug("revoking expired lease {} failed ({}); retried later", Long.toHexString(id), err.toString());
          }
        });
      }
    } catch (RuntimeException e) {
      LOG.error("lessor tick failed", e);
    }
  }

  /** Pops the expired leases this tick may revoke; each stays tracked and is re-checked after retryMs. */
  private synchronized List<Long> expiredBatch() {
    int budget = (int) Math.max(1, settings.revokesPerSecond() * settings.tickMs() / 1000);
    budget = Math.min(budget, settings.maxRevokesInFlight() - revokesInFlight.get());
    List<Long> out = new ArrayList<>();
    long now = System.nanoTime();
    while (out.size() < budget && !heap.isEmpty() && heap.peek()[0] - now <= 0) {
      long id = heap.poll()[1];
      Long d = deadlines.get(id);
      if (d == null) {
        continue; // revoked
      }
      if (d - now > 0) {
        heap.add(new long[] {d, id}); // renewed since it was queued
        continue;
      }
      long retry = now + TimeUnit.MILLISECONDS.toNanos(settings.retryMs());
      heap.add(new long[] {retry, id}); // the map keeps the expired deadline: renewals of it answer TTL 0
      out.add(id);
    }
    if (heap.size() > 4 * Math.max(16, deadlines.size())) {
      rebuildHeap(); // many renewed-then-revoked leftovers
    }
    return out;
  }

  private void rebuildHeap() {
    heap.clear();
    deadlines.forEach((id, d) -> heap.add(new long[] {d, id}));
  }

  /** How many leases this member tracks for expiry (0 unless primary); for tests and diagnostics. */
  public int trackedCount() {
    return deadlines.size();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  /** This member is not the leader: renewals and remaining TTLs are the leader's to answer. */
  public static final class NotPrimaryException extends RuntimeException {
    NotPrimaryException() {
      super("not the lease primary", null, false, false);
    }
  }
}
