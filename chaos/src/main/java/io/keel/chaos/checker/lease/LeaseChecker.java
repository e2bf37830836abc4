package io.keel.chaos.checker.lease;

import io.keel.chaos.checker.FaultWindows;
import io.keel.chaos.checker.Findings;
import io.keel.chaos.checker.watch.WatchEvent;
import io.keel.chaos.checker.watch.WatchLogEntry;
import io.keel.chaos.history.Op;
import io.keel.chaos.history.Pairing;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Checks a lease workload's history ({@link LeaseOp}s) and the log of a watcher on its prefix:
 * <ul>
 *   <li>kept alive means alive: a read that misses a key attached (acknowledged) to a lease, or a keep-alive
 *       answered "not found", while some grant or keep-alive ack guarantees the lease (acked before the read was
 *       sent, sent less than its TTL before the read's answer), with no revoke sent, is an anomaly;
 *   <li>one revision: the keys of one lease are deleted (by expiry or revoke) in a single revision;
 *   <li>bounded life: a key read present after its lease's revoke was acknowledged, or later than the lease's
 *       deadline + {@code slackMs}, is an anomaly; the final read (after every lease's deadline passed) must find
 *       no key at all. The deadline is the last possible refresh + TTL, moved past every fault active before it
 *       ({@link FaultWindows#leaseDeadline}): etcd expires leases only on a leader, and a new leader renews every
 *       lease's full TTL, so a lease may legitimately outlive a leaderless period by its TTL.
 * </ul>
 * Unknown grants, attaches and keep-alives are treated conservatively: an unknown keep-alive may have refreshed
 * the lease when it was given up, an unknown attach may or may not have attached.
 */
public final class LeaseChecker {
  private LeaseChecker() {
  }

  /** What the history says about one lease. */
  private static final class Lease {
    final long id;
    long ttlMs;
    /** Proven refreshes: {sent, acked, ttlMs}. */
    final List<long[]> acks = new ArrayList<>();
    /** The latest time the lease may have been refreshed (acks and unknown keep-alives). */
    long lastRefresh;
    long attachAcked = Long.MAX_VALUE;
    List<String> keys = List.of();
    long revokeSent = Long.MAX_VALUE;
    long revokeAcked = Long.MAX_VALUE;

    Lease(long id) {
      this.id = id;
    }

    /** Whether an ack acked before {@code from} keeps the lease alive until {@code to}. */
    boolean guaranteed(long from, long to) {
      for (long[] a : acks) {
        if (a[1] <= from && a[0] + a[2] * 1_000_000L > to) {
          return true;
        }
      }
      return false;
    }
  }

  /**
   * @param prefix the workload's key prefix (keys are {@code <prefix><lease hex>/<name>})
   * @param slackMs how much later than its deadline a key may still be read (an election after a heal, the new
   *     leader's renewal)
   * @param faults when faults were active (same time base as {@code ops})
   */
  public static Findings check(List<LeaseOp> ops, List<WatchLogEntry> watchLog, String prefix, long slackMs,
      FaultWindows faults) {
    Findings.Builder an = new Findings.Builder();
    Pairing.Pairs pairs = Pairing.pair(ops, LeaseOp::process, o -> o.type() == Op.Type.INVOKE, o -> false,
        (i, inv, done) -> {
          if (!inv.f().equals(done.f())) {
            throw new IllegalArgumentException("lease op " + i + " does not match its invocation " + inv.f());
          }
        });
    Map<Long, Lease> leases = new HashMap<>();
    List<LeaseOp[]> reads = new ArrayList<>();
    List<LeaseOp[]> gone = new ArrayList<>();
    LeaseOp[] finalRead = null;
    for (int j = 0; j < pairs.invocations().size(); j++) {
      LeaseOp inv = ops.get(pairs.invocations().get(j));
      int c = pairs.completions().get(j);
      LeaseOp done = c == Pairing.NONE ? null : ops.get(c);
      Op.Type t = done == null ? Op.Type.INFO : done.type();
      long doneAt = done == null ? Long.MAX_VALUE : done.timeNanos();
      if (inv.f().equals("grant")) {
        if (t == Op.Type.OK) {
          Lease l = leases.computeIfAbsent(done.lease(), Lease::new);
          l.ttlMs = done.ttlSeconds() * 1000;
          l.acks.add(new long[] {inv.timeNanos(), doneAt, l.ttlMs});
          l.lastRefresh = Math.max(l.lastRefresh, doneAt);
        }
        continue;
      }
      if (inv.f().equals("final-read")) {
        if (t == Op.Type.OK) {
          finalRead = new LeaseOp[] {inv, done};
        }
        continue;
      }
      Lease l = leases.get(inv.lease());
      if (l == null) {
        an.anomaly("p" + inv.process() + " " + inv.f() + " of lease " + Long.toHexString(inv.lease())
            + " that was never granted (workload bug)");
        continue;
      }
      switch (inv.f()) {
        case "attach" -> {
          if (t == Op.Type.OK) {
            l.attachAcked = Math.min(l.attachAcked, doneAt);
          }
          if (t != Op.Type.FAIL) {
            l.keys = inv.keys();
          }
        }
        case "keepalive" -> {
          if (t == Op.Type.OK && done.ttlSeconds() > 0) {
            l.acks.add(new long[] {inv.timeNanos(), doneAt, done.ttlSeconds() * 1000});
            l.lastRefresh = Math.max(l.lastRefresh, doneAt);
          } else if (t == Op.Type.OK) {
            gone.add(new LeaseOp[] {inv, done});
          } else if (t == Op.Type.INFO && done != null) {
            l.lastRefresh = Math.max(l.lastRefresh, doneAt);
          }
        }
        case "revoke" -> {
          if (t != Op.Type.FAIL) {
            l.revokeSent = Math.min(l.revokeSent, inv.timeNanos());
          }
          if (t == Op.Type.OK) {
            l.revokeAcked = Math.min(l.revokeAcked, doneAt);
          }
        }
        case "read" -> {
          if (t == Op.Type.OK) {
            reads.add(new LeaseOp[] {inv, done});
          }
        }
        default -> { }
      }
    }
    for (LeaseOp[] g : gone) {
      Lease l = leases.get(g[0].lease());
      if (l.revokeSent > g[1].timeNanos() && l.guaranteed(g[0].timeNanos(), g[1].timeNanos())) {
        an.anomaly("lease " + Long.toHexString(l.id) + " was not found by a keep-alive at "
            + ms(g[1].timeNanos()) + " though a refresh guaranteed it until then and no revoke was sent");
      }
    }
    long maxLateMs = 0;
    long extendedReads = 0;
    for (LeaseOp[] r : reads) {
      Lease l = leases.get(r[0].lease());
      long sent = r[0].timeNanos();
      long answered = r[1].timeNanos();
      List<String> present = r[1].present() == null ? List.of() : r[1].present();
      boolean attached = l.attachAcked <= sent;
      if (attached && !present.containsAll(l.keys) && l.revokeSent > answered && l.guaranteed(sent, answered)) {
        an.anomaly("keys " + l.keys + " of lease " + Long.toHexString(l.id) + " vanished: a read at "
            + ms(answered) + " found only " + present + " while a keep-alive guaranteed the lease");
      }
      if (!present.isEmpty() && l.revokeAcked <= sent) {
        an.anomaly("keys " + present + " of lease " + Long.toHexString(l.id) + " read at " + ms(answered)
            + " after its revoke was acknowledged at " + ms(l.revokeAcked));
      }
      long plainDeadline = l.lastRefresh + l.ttlMs * 1_000_000L;
      long deadline = faults.leaseDeadline(l.lastRefresh, l.ttlMs * 1_000_000L);
      if (!present.isEmpty() && l.lastRefresh > 0) {
        long lateMs = (sent - deadline) / 1_000_000;
        maxLateMs = Math.max(maxLateMs, lateMs);
        if (lateMs > slackMs) {
          an.anomaly("keys " + present + " of lease " + Long.toHexString(l.id) + " outlived it: read at "
              + ms(sent) + ", " + lateMs + " ms after its deadline " + ms(deadline) + " (last possible refresh + TTL"
              + (deadline != plainDeadline ? ", moved past faults" : "") + "; slack " + slackMs + " ms)");
        } else if ((sent - plainDeadline) / 1_000_000 > slackMs) {
          extendedReads++;
        }
      }
    }
    if (finalRead == null) {
      return finish(an, leases, reads, maxLateMs, "no successful final read");
    }
    long finalSent = finalRead[0].timeNanos();
    long finalTooEarly = 0;
    for (String k : finalRead[1].present() == null ? List.<String>of() : finalRead[1].present()) {
      Lease l = leases.get(LeaseOp.leaseOfKey(prefix, k));
      long deadline = l == null ? 0 : faults.leaseDeadline(l.lastRefresh, l.ttlMs * 1_000_000L);
      if (l != null && finalSent <= deadline + slackMs * 1_000_000L) {
        finalTooEarly++; // the workload waits past every deadline; a read before one proves nothing
        continue;
      }
      an.anomaly("key " + k + " (lease " + Long.toHexString(LeaseOp.leaseOfKey(prefix, k))
          + ") still present at the final read, after every lease's deadline");
    }
    an.fact("keys at the final read before their lease's deadline + slack", finalTooEarly);
    checkOneRevision(watchLog, prefix, an);
    an.fact("reads within a deadline moved past faults (else late)", extendedReads);
    return finish(an, leases, reads, maxLateMs, null);
  }

  /** All keys of one lease must be deleted in one revision (as seen by the watcher on the prefix). */
  private static void checkOneRevision(List<WatchLogEntry> log, String prefix, Findings.Builder an) {
    Map<Long, TreeSet<Long>> deletedAt = new HashMap<>();
    long deletes = 0;
    for (WatchLogEntry e : log) {
      if (!"events".equals(e.kind())) {
        continue;
      }
      for (WatchEvent ev : e.events()) {
        if (ev.type().equals(WatchEvent.DELETE)) {
          deletes++;
          deletedAt.computeIfAbsent(LeaseOp.leaseOfKey(prefix, ev.key()), x -> new TreeSet<>()).add(ev.revision());
        }
      }
    }
    for (Map.Entry<Long, TreeSet<Long>> d : deletedAt.entrySet()) {
      if (d.getValue().size() > 1) {
        an.anomaly("keys of lease " + Long.toHexString(d.getKey()) + " were deleted in " + d.getValue().size()
            + " revisions " + d.getValue() + ", not one");
      }
    }
    an.fact("deletes watched", deletes);
    an.fact("leases whose deletion was watched", deletedAt.size());
  }

  private static Findings finish(Findings.Builder an, Map<Long, Lease> leases, List<LeaseOp[]> reads,
      long maxLateMs, String unknown) {
    an.fact("leases granted", leases.size());
    an.fact("leases revoked", leases.values().stream().filter(l -> l.revokeAcked != Long.MAX_VALUE).count());
    an.fact("keep-alive acks", leases.values().stream().mapToLong(l -> l.acks.size()).sum() - leases.size());
    an.fact("reads checked", reads.size());
    an.fact("latest key read after its deadline (ms)", maxLateMs);
    return an.build(reads.size(), unknown);
  }

  private static String ms(long nanos) {
    return String.format("%.3f s", nanos / 1e9);
  }
}
