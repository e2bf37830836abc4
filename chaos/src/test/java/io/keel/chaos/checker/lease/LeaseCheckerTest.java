package io.keel.chaos.checker.lease;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.chaos.checker.FaultWindows;
import io.keel.chaos.checker.Findings;
import io.keel.chaos.checker.Verdict;
import io.keel.chaos.checker.watch.WatchEvent;
import io.keel.chaos.checker.watch.WatchLogEntry;
import io.keel.chaos.history.Op;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The lease checker on hand-made histories (times in ms): a kept-alive, then revoked lease whose keys go in one
 * revision passes; a vanished kept-alive key, a keep-alive answered "not found", keys deleted in two revisions,
 * a key read after its revoke, a key outliving its lease and a key left at the final read are each reported.
 */
class LeaseCheckerTest {
  private static final String P = "lease1/";
  private static final long L = 0xabcL;
  private static final List<String> KEYS = List.of(P + "abc/a", P + "abc/b");
  private static final long SLACK_MS = 8_000;
  private final List<LeaseOp> ops = new ArrayList<>();
  private final List<WatchLogEntry> log = new ArrayList<>();
  private final List<Op> nemesis = new ArrayList<>();

  private static long ns(long ms) {
    return ms * 1_000_000L;
  }

  private LeaseOp op(int p, String f, long fromMs, long toMs, Op.Type t, long ttl, List<String> present) {
    LeaseOp inv = LeaseOp.invoke(p, f, f.equals("grant") || f.equals("final-read") ? 0 : L, 0,
        f.equals("attach") || f.equals("read") ? KEYS : List.of());
    ops.add(inv.at(ns(fromMs)));
    LeaseOp done = inv.complete(t, f.equals("final-read") ? 0 : L, ttl, present, t == Op.Type.OK ? null : "x")
        .at(ns(toMs));
    ops.add(done);
    return done;
  }

  /** Granted at 0 (TTL 3 s), attached at 30, kept alive at 1000, read at 1030 (both keys). */
  private void keptAlive() {
    op(0, "grant", 0, 10, Op.Type.OK, 3, null);
    op(0, "attach", 20, 30, Op.Type.OK, 0, null);
    op(0, "keepalive", 1000, 1010, Op.Type.OK, 3, null);
    op(0, "read", 1020, 1030, Op.Type.OK, 0, KEYS);
  }

  private void finalRead(List<String> present) {
    op(9, "final-read", 60_000, 60_010, Op.Type.OK, 0, present);
  }

  private void deletes(long... revs) {
    log.add(new WatchLogEntry(0, "start", 0, 1, null, null));
    for (int i = 0; i < revs.length; i++) {
      log.add(new WatchLogEntry(0, "events", 1, revs[i], List.of(WatchEvent.delete(KEYS.get(i), revs[i])), null));
    }
  }

  private Findings check() {
    return LeaseChecker.check(ops, log, P, SLACK_MS, FaultWindows.of(nemesis));
  }

  @Test
  void keptAliveThenRevokedPasses() {
    keptAlive();
    op(0, "revoke", 2000, 2010, Op.Type.OK, 0, null);
    op(0, "read", 2100, 2110, Op.Type.OK, 0, List.of());
    finalRead(List.of());
    log.add(new WatchLogEntry(0, "events", 1, 9, List.of(WatchEvent.delete(KEYS.get(0), 9),
        WatchEvent.delete(KEYS.get(1), 9)), null));
    Findings r = check();
    assertThat(r.verdict()).as(r.describe()).isEqualTo(Verdict.VALID);
    assertThat(r.facts()).containsEntry("leases revoked", "1").containsEntry("reads checked", "2");
  }

  @Test
  void expiryAfterTheTtlIsNotAnAnomaly() {
    keptAlive();
    op(0, "read", 4500, 4510, Op.Type.OK, 0, List.of());
    finalRead(List.of());
    deletes(9, 9);
    assertThat(check().verdict()).isEqualTo(Verdict.VALID);
  }

  @Test
  void aKeptAliveKeyThatVanishesIsCaught() {
    keptAlive();
    op(0, "read", 2000, 2010, Op.Type.OK, 0, List.of(KEYS.get(0)));
    finalRead(List.of());
    Findings r = check();
    assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
    assertThat(r.anomalies()).anyMatch(a -> a.contains("vanished"));
  }

  @Test
  void aKeepAliveAnsweredNotFoundWhileGuaranteedIsCaught() {
    keptAlive();
    op(0, "keepalive", 2000, 2010, Op.Type.OK, 0, null);
    finalRead(List.of());
    assertThat(check().anomalies()).anyMatch(a -> a.contains("was not found by a keep-alive"));
  }

  @Test
  void keysDeletedInTwoRevisionsAreCaught() {
    keptAlive();
    finalRead(List.of());
    deletes(9, 10);
    assertThat(check().anomalies()).anyMatch(a -> a.contains("deleted in 2 revisions"));
  }

  @Test
  void aKeyReadAfterItsRevokeIsCaught() {
    keptAlive();
    op(0, "revoke", 2000, 2010, Op.Type.OK, 0, null);
    op(0, "read", 2100, 2110, Op.Type.OK, 0, KEYS);
    finalRead(List.of());
    assertThat(check().anomalies()).anyMatch(a -> a.contains("after its revoke was acknowledged"));
  }

  @Test
  void aKeyOutlivingItsLeaseIsCaught() {
    keptAlive();
    op(0, "read", 1010 + 3000 + SLACK_MS + 100, 1010 + 3000 + SLACK_MS + 110, Op.Type.OK, 0, KEYS);
    finalRead(List.of());
    assertThat(check().anomalies()).anyMatch(a -> a.contains("outlived"));
  }

  /** A fault from fromMs to toMs (the heal completed at toMs). */
  private void fault(long fromMs, long toMs) {
    nemesis.add(new Op(Op.NEMESIS, Op.Type.INFO, "start-kill", null, null, null, null, ns(fromMs), "kill n1"));
    nemesis.add(new Op(Op.NEMESIS, Op.Type.INFO, "stop-kill", null, null, null, null, ns(toMs), "restarted n1"));
  }

  @Test
  void aKeyOutlivingItsLeaseThroughALeaderlessPeriodIsAllowedUpToTheHealPlusTtl() {
    keptAlive(); // deadline 1010 + 3000 = 4010
    fault(3500, 20_000); // majority down from before the deadline until 20 s: no leader could expire the lease
    op(0, "read", 20_000 + 3000 + SLACK_MS - 100, 20_000 + 3000 + SLACK_MS - 90, Op.Type.OK, 0, KEYS);
    finalRead(List.of());
    Findings r = check();
    assertThat(r.verdict()).as(r.describe()).isEqualTo(Verdict.VALID);
    assertThat(r.facts()).containsEntry("reads within a deadline moved past faults (else late)", "1");
  }

  @Test
  void aFaultAfterTheDeadlineOrHealedBeforeTheRefreshDoesNotExcuseALateKey() {
    keptAlive(); // deadline 4010
    fault(100, 900); // healed before the last refresh (1010)
    fault(4010 + SLACK_MS + 50, 60_000); // began after the key should have gone
    op(0, "read", 4010 + SLACK_MS + 100, 4010 + SLACK_MS + 110, Op.Type.OK, 0, KEYS);
    finalRead(List.of());
    assertThat(check().anomalies()).anyMatch(a -> a.contains("outlived"));
  }

  @Test
  void aKeyOutlivingTheHealPlusTtlIsStillCaught() {
    keptAlive();
    fault(3500, 20_000);
    op(0, "read", 20_000 + 3000 + SLACK_MS + 100, 20_000 + 3000 + SLACK_MS + 110, Op.Type.OK, 0, KEYS);
    finalRead(List.of());
    assertThat(check().anomalies()).anyMatch(a -> a.contains("outlived") && a.contains("moved past faults"));
  }

  @Test
  void aKeyAtAFinalReadInsideAFaultExtendedDeadlineIsNotAnAnomaly() {
    keptAlive();
    fault(3500, 58_000); // healed at 58 s: a new leader renews the lease to ~61 s
    finalRead(List.of(KEYS.get(1))); // at 60 s
    Findings r = check();
    assertThat(r.verdict()).as(r.describe()).isEqualTo(Verdict.VALID);
    assertThat(r.facts()).containsEntry("keys at the final read before their lease's deadline + slack", "1");
  }

  @Test
  void aKeyLeftAtTheFinalReadIsCaught() {
    keptAlive();
    finalRead(List.of(KEYS.get(1)));
    assertThat(check().anomalies()).anyMatch(a -> a.contains("still present at the final read"));
  }

  @Test
  void withoutAFinalReadTheVerdictIsUnknown() {
    keptAlive();
    assertThat(check().verdict()).isEqualTo(Verdict.UNKNOWN);
  }

  @Test
  void leaseIdsAreParsedFromKeys() {
    assertThat(LeaseOp.leaseOfKey(P, KEYS.get(0))).isEqualTo(L);
    assertThat(LeaseOp.leaseOfKey(P, "other/abc")).isZero();
  }
}
