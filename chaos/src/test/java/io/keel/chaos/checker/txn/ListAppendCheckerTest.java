package io.keel.chaos.checker.txn;

import static io.keel.chaos.checker.txn.HistoryBuilder.a;
import static io.keel.chaos.checker.txn.HistoryBuilder.r;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.chaos.checker.Verdict;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hand-built histories: each anomaly class is caught and named; valid ones pass. */
class ListAppendCheckerTest {

  private static TxnCheckResult check(HistoryBuilder b) {
    return ListAppendChecker.check(b.build());
  }

  @Test
  void serialHistoryIsValid() {
    TxnCheckResult res = check(new HistoryBuilder()
        .txn(0, a("x", 1), r("x", 1))
        .txn(1, r("x", 1), a("x", 2), a("y", 1))
        .txn(0, r("x", 1, 2), r("y", 1)));
    assertThat(res.verdict()).as(res.anomalies().toString()).isEqualTo(Verdict.VALID);
    assertThat(res.txnsChecked()).isEqualTo(3);
  }

  @Test
  void concurrentTxnsMaySerializeEitherWay() {
    TxnCheckResult res = check(new HistoryBuilder()
        .invoke(0, a("x", 1)).invoke(1, a("x", 2)).invoke(2, r("x", 2))
        .ok(1).ok(2).ok(0)
        .txn(3, r("x", 2, 1)));
    assertThat(res.verdict()).as(res.anomalies().toString()).isEqualTo(Verdict.VALID);
  }

  @Test
  void cyclicWriteOrderIsG0() {
    TxnCheckResult res = check(new HistoryBuilder()
        .invoke(0, a("x", 1), a("y", 1)).invoke(1, a("x", 2), a("y", 2)).ok(0).ok(1)
        .txn(2, r("x", 1, 2), r("y", 2, 1)));
    assertThat(res.verdict()).isEqualTo(Verdict.INVALID);
    assertThat(res.types()).containsExactly("G0");
    assertThat(res.anomalies().get(0).txns()).extracting(Txn::id).containsExactlyInAnyOrder(0, 1);
  }

  @Test
  void circularInformationFlowIsG1c() {
    TxnCheckResult res = check(new HistoryBuilder()
        .invoke(0, a("x", 1), r("y", 1)).invoke(1, a("y", 1), r("x", 1)).ok(0).ok(1));
    assertThat(res.types()).containsExactly("G1c");
  }

  @Test
  void readSkewIsGSingle() {
    TxnCheckResult res = check(new HistoryBuilder()
        .invoke(0, a("x", 1), a("y", 1)).invoke(1, r("x"), r("y", 1)).invoke(2, r("x", 1))
        .ok(0).ok(1).ok(2));
    assertThat(res.types()).containsExactly("G-single");
  }

  @Test
  void writeSkewIsG2() {
    TxnCheckResult res = check(new HistoryBuilder()
        .invoke(0, r("x"), r("y"), a("x", 1)).invoke(1, r("x"), r("y"), a("y", 1)).ok(0).ok(1)
        .txn(2, r("x", 1), r("y", 1)));
    assertThat(res.types()).containsExactly("G2");
    assertThat(res.anomalies().get(0).explanation()).contains("-rw->");
  }

  @Test
  void staleReadAfterAcknowledgedAppendIsGSingleRealtime() {
    TxnCheckResult res = check(new HistoryBuilder()
        .txn(0, a("x", 1))
        .txn(1, a("x", 2))
        .txn(2, r("x", 1, 2))
        .txn(3, r("x", 1)));
    assertThat(res.types()).containsExactly("G-single-realtime");
  }

  @Test
  void sameStaleReadIsFineWhenConcurrent() {
    TxnCheckResult res = check(new HistoryBuilder()
        .txn(0, a("x", 1))
        .invoke(1, a("x", 2)).invoke(3, r("x", 1)).ok(1)
        .txn(2, r("x", 1, 2)).ok(3));
    assertThat(res.verdict()).as(res.anomalies().toString()).isEqualTo(Verdict.VALID);
  }

  @Test
  void writeOrderAgainstRealTimeIsG0Realtime() {
    TxnCheckResult res = check(new HistoryBuilder()
        .txn(0, a("x", 1))
        .txn(1, a("x", 2))
        .txn(2, r("x", 2, 1)));
    assertThat(res.types()).containsExactly("G0-realtime");
  }

  @Test
  void lostAppendIsCaught() {
    TxnCheckResult res = check(new HistoryBuilder()
        .txn(0, a("x", 1))
        .txn(1, a("x", 2))
        .txn(2, r("x", 2)));
    assertThat(res.types()).contains("lost-append");
    assertThat(res.anomalies()).anySatisfy(an -> {
      assertThat(an.type()).isEqualTo("lost-append");
      assertThat(an.explanation()).contains("append of 1 to x");
    });
  }

  @Test
  void readOfFailedAppendIsG1a() {
    TxnCheckResult res = check(new HistoryBuilder()
        .invoke(0, a("x", 1)).fail(0)
        .txn(1, r("x", 1)));
    assertThat(res.types()).containsExactly("G1a");
  }

  @Test
  void readOfIntermediateAppendIsG1b() {
    TxnCheckResult res = check(new HistoryBuilder()
        .invoke(0, a("x", 1), a("x", 2)).invoke(1, r("x", 1)).ok(0).ok(1));
    assertThat(res.types()).containsExactly("G1b");
  }

  @Test
  void valueNobodyAppendedIsGarbage() {
    assertThat(check(new HistoryBuilder().txn(0, a("x", 1)).txn(1, r("x", 1, 7))).types())
        .contains("garbage-read");
  }

  @Test
  void duplicateElementsAreCaught() {
    assertThat(check(new HistoryBuilder().txn(0, a("x", 1)).txn(1, r("x", 1, 1))).types())
        .containsExactly("duplicate-elements");
  }

  @Test
  void divergentReadsAreIncompatibleOrders() {
    TxnCheckResult res = check(new HistoryBuilder()
        .invoke(0, a("x", 1)).invoke(1, a("x", 2)).ok(0).ok(1)
        .invoke(2, r("x", 1)).invoke(3, r("x", 2)).ok(2).ok(3));
    assertThat(res.types()).containsExactly("incompatible-order");
  }

  @Test
  void readNotShowingOwnAppendIsInternal() {
    assertThat(check(new HistoryBuilder().txn(0, a("x", 1), r("x"))).types()).containsExactly("internal");
    assertThat(check(new HistoryBuilder().txn(0, r("x"), a("x", 1), r("x", 5, 1))).types())
        .containsExactly("internal");
  }

  @Test
  void unknownTxnsCountOnlyIfObserved() {
    // p0's append is unknown and unseen, p1's is unknown and seen: both are fine.
    TxnCheckResult res = check(new HistoryBuilder()
        .invoke(0, a("x", 1)).info(0)
        .invoke(1, a("x", 2)).info(1)
        .txn(2, r("x", 2))
        .txn(3, r("x", 2)));
    assertThat(res.verdict()).as(res.anomalies().toString()).isEqualTo(Verdict.VALID);
    assertThat(res.txnsChecked()).isEqualTo(3);
  }

  @Test
  void unknownTxnMayTakeEffectLate() {
    // an info append seen only after an ok read that missed it: it may have committed between them
    TxnCheckResult res = check(new HistoryBuilder()
        .invoke(0, a("x", 1)).info(0)
        .txn(1, r("x"))
        .txn(2, r("x", 1)));
    assertThat(res.verdict()).as(res.anomalies().toString()).isEqualTo(Verdict.VALID);
  }

  @Test
  void duplicateAppendIsRejectedClearly() {
    assertThatThrownBy(() -> check(new HistoryBuilder().txn(0, a("x", 1)).txn(1, a("x", 1))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unique");
  }

  @Test
  void exceedingLimitsIsUnknown() {
    TxnHistory h = new HistoryBuilder().txn(0, a("x", 1)).txn(1, a("x", 2)).txn(2, r("x", 1, 2)).build();
    TxnCheckResult res = ListAppendChecker.check(h, new TxnCheckLimits(1_000, 1, 10, 10_000));
    assertThat(res.verdict()).isEqualTo(Verdict.UNKNOWN);
    assertThat(res.unknownReason()).contains("edges");
    assertThat(ListAppendChecker.check(h, new TxnCheckLimits(2, 100, 10, 10_000)).verdict())
        .isEqualTo(Verdict.UNKNOWN);
  }

  @Test
  void historySurvivesJsonLines(@TempDir Path dir) throws Exception {
    TxnHistory h = new HistoryBuilder()
        .invoke(0, a("x", 1), r("y")).invoke(1, r("x", 1)).ok(1).info(0).build();
    Path f = dir.resolve("h.jsonl");
    h.save(f);
    TxnHistory back = TxnHistory.load(f);
    assertThat(back.events()).isEqualTo(h.events());
    assertThat(back.txns()).hasSize(2);
  }

  @Test
  void malformedHistoriesAreRefused() {
    assertThatThrownBy(() -> new HistoryBuilder().invoke(0, a("x", 1)).invoke(0, a("x", 2)).build().txns())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("in flight");
    assertThatThrownBy(() -> MicroOp.append("x", -1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new MicroOp("w", "x", 1L, null)).isInstanceOf(IllegalArgumentException.class);
  }
}
